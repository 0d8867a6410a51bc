using System.CommandLine;

namespace ClaudeCache.Proxy.Cli;

/// <summary>The <c>claudecache</c> command line: <c>serve</c> (the default), <c>demo</c>, <c>stats</c>, <c>warm</c>, <c>purge</c> and <c>estimate</c>.</summary>
public static class ClaudeCacheCli
{
    /// <summary>
    /// How long a command may take to end after SIGTERM or Ctrl+C before the process is ended regardless. System.CommandLine's
    /// default is 2 s, which cut `serve`'s graceful stop short: it waits up to 10 s for upstream calls still running
    /// (their answers are paid for, reach their callers and are stored) within the host's own 30 s shutdown timeout.
    /// </summary>
    internal static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(40);

    /// <summary>Parses and runs a command; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand(
            "ClaudeCache: a caching proxy for Anthropic's Claude API. Point ANTHROPIC_BASE_URL at it. " +
            "Settings come from appsettings.json next to the binary, then appsettings.json in the working directory " +
            "(which wins), then --config, CLAUDECACHE__* environment variables and options: see 'claudecache serve --help'.")
        {
            ServeCommand.Create(),
            DemoCommand.Create(),
            StatsCommand.Create(),
            WarmCommand.Create(),
            PurgeCommand.Create(),
            EstimateCommand.Create(),
        };

        // `serve` is the default command: `claudecache --port 9000` means `claudecache serve --port 9000`.
        if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version")))
        {
            args = ["serve", .. args];
        }

        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TerminationGrace }, cancellationToken).ConfigureAwait(false);
    }
}
