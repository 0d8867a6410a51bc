using System.CommandLine;
using System.Globalization;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// The usage checks of the reports, <c>stats</c> and <c>estimate</c>: those of every command on a proxy or a database
/// (<see cref="SourceOptions.TryCheck"/>), then a <c>--to</c> that is an ISO 8601 time. A failed check prints one line
/// on stderr; the command exits 2.
/// </summary>
internal static class ReportOptions
{
    /// <summary>
    /// True when the command line passes the checks, with the end of the range (null: now) in <paramref name="end"/>;
    /// false after printing why not.
    /// </summary>
    public static bool TryRead(ParseResult parse, string command, SourceOptions source, Option<string?> to, out DateTimeOffset? end)
    {
        end = null;
        if (!source.TryCheck(parse, command))
        {
            return false;
        }

        if (parse.GetValue(to) is { } t)
        {
            if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                Console.Error.WriteLine($"claudecache: --to '{t}' is not an ISO 8601 time.");
                return false;
            }

            end = parsed;
        }

        return true;
    }
}
