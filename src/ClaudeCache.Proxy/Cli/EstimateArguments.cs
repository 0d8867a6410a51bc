namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// What <c>claudecache estimate</c> reads and how it prints it. With <see cref="Url"/> the estimate comes from a running
/// proxy's <c>/admin/estimate</c>; otherwise from the request log in the SQLite file <see cref="Database"/>.
/// </summary>
internal sealed record EstimateArguments
{
    /// <summary>Base URL of a running proxy, or null to read the database.</summary>
    public string? Url { get; init; }

    /// <summary>The proxy's admin token (only with <see cref="Url"/>).</summary>
    public string? AdminToken { get; init; }

    /// <summary>The SQLite file the proxy writes (only without <see cref="Url"/>).</summary>
    public string Database { get; init; } = "claudecache.db";

    /// <summary>How many days back from <see cref="To"/>.</summary>
    public string Days { get; init; } = "7";

    /// <summary>End of the range; null for now.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>A candidate configuration file (appsettings format) to replay too, or null.</summary>
    public string? Config { get; init; }

    /// <summary>Print the <c>/admin/estimate</c> JSON instead of a table.</summary>
    public bool Json { get; init; }
}
