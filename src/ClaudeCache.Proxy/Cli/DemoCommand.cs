using System.CommandLine;
using ClaudeCache.Proxy.Demo;

namespace ClaudeCache.Proxy.Cli;

/// <summary><c>claudecache demo</c>: the proxy against a fake upstream, with a short real-estate workload.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var requests = new Option<int>("--requests") { Description = "How many requests to send.", DefaultValueFactory = _ => 30 };
        var repeats = new Option<double>("--repeat-ratio") { Description = "Share of requests that repeat an earlier one (0..1).", DefaultValueFactory = _ => 0.6 };
        var command = new Command("demo", "Start the proxy against a built-in fake Anthropic API, send a short real-estate workload, and print hits, misses and savings. Needs no API key and no network.")
        {
            requests, repeats,
        };
        command.SetAction((parse, cancellationToken) =>
            DemoRunner.RunAsync(parse.GetValue(requests), Math.Clamp(parse.GetValue(repeats), 0, 1), Console.Out, cancellationToken));
        return command;
    }
}
