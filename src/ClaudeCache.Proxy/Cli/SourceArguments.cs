namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// Where <c>stats</c>, <c>estimate</c> and <c>purge</c> work: with <see cref="Url"/> a running proxy's admin API,
/// otherwise the SQLite file <see cref="Database"/> the proxy writes.
/// </summary>
internal abstract record SourceArguments
{
    /// <summary>The database file when <c>--db</c> is not given, in the working directory.</summary>
    public const string DefaultDatabase = "claudecache.db";

    /// <summary>Base URL of a running proxy (e.g. <c>http://127.0.0.1:8787</c>), or null to work on the database file.</summary>
    public string? Url { get; init; }

    /// <summary>The proxy's admin token (only with <see cref="Url"/>).</summary>
    public string? AdminToken { get; init; }

    /// <summary>The SQLite file the proxy writes (only without <see cref="Url"/>).</summary>
    public string Database { get; init; } = DefaultDatabase;
}
