using System.CommandLine;
using System.Globalization;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// The usage checks <c>stats</c> and <c>estimate</c> share: no unknown option, not both <c>--url</c> and <c>--db</c>,
/// and a <c>--to</c> that is an ISO 8601 time. A failed check prints one line on stderr; the command exits 2.
/// </summary>
internal static class ReportOptions
{
    /// <summary>
    /// True when the command line passes the checks, with the end of the range (null: now) in <paramref name="end"/>;
    /// false after printing why not.
    /// </summary>
    public static bool TryRead(ParseResult parse, string command, Option<string?> url, Option<string?> db, Option<string?> to, out DateTimeOffset? end)
    {
        end = null;
        if (parse.UnmatchedTokens.Count > 0)
        {
            Console.Error.WriteLine($"claudecache: {command}: unknown option or argument '{parse.UnmatchedTokens[0]}' (see claudecache {command} --help).");
            return false;
        }

        if (parse.GetValue(url) is not null && parse.GetValue(db) is not null)
        {
            Console.Error.WriteLine("claudecache: give --url or --db, not both.");
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
