using System.CommandLine;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// Where <c>stats</c>, <c>estimate</c> and <c>purge</c> work: a running proxy (<c>--url</c>, with <c>--admin-token</c>)
/// or the database file (<c>--db</c>, default <c>./claudecache.db</c>), and the usage checks every one of them makes:
/// no unknown option, not both <c>--url</c> and <c>--db</c>. A failed check prints one line on stderr; the command exits 2.
/// </summary>
internal sealed class SourceOptions
{
    /// <param name="url">What <c>--url</c> does in this command.</param>
    /// <param name="database">What <c>--db</c> does in this command.</param>
    public SourceOptions(string url, string database)
    {
        Url = new Option<string?>("--url") { Description = url };
        AdminToken = new Option<string?>("--admin-token") { Description = $"The proxy's admin token (with --url; default: ${AdminApi.TokenVariable})." };
        Database = new Option<string?>("--db") { Description = database };
    }

    public Option<string?> Url { get; }

    public Option<string?> AdminToken { get; }

    public Option<string?> Database { get; }

    /// <summary>True when the command line passes the shared checks; false after printing why not.</summary>
    public bool TryCheck(ParseResult parse, string command)
    {
        if (parse.UnmatchedTokens.Count > 0)
        {
            Console.Error.WriteLine($"claudecache: {command}: unknown option or argument '{parse.UnmatchedTokens[0]}' (see claudecache {command} --help).");
            return false;
        }

        if (parse.GetValue(Url) is not null && parse.GetValue(Database) is not null)
        {
            Console.Error.WriteLine("claudecache: give --url or --db, not both.");
            return false;
        }

        return true;
    }

    /// <summary>The command's arguments with where to work filled in: the URL, the token (else the environment's) and the file.</summary>
    public T Read<T>(ParseResult parse)
        where T : SourceArguments, new() => new()
    {
        Url = parse.GetValue(Url),
        AdminToken = AdminApi.Token(parse.GetValue(AdminToken)),
        Database = parse.GetValue(Database) ?? SourceArguments.DefaultDatabase,
    };
}
