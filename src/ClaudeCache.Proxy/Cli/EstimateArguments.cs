namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// What <c>claudecache estimate</c> reads and how it prints it. With <see cref="SourceArguments.Url"/> the estimate comes from a running
/// proxy's <c>/admin/estimate</c>; otherwise from the request log in the SQLite file <see cref="SourceArguments.Database"/>.
/// </summary>
internal sealed record EstimateArguments : SourceArguments
{
    /// <summary>How many days back from <see cref="To"/>.</summary>
    public string Days { get; init; } = "7";

    /// <summary>End of the range; null for now.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>A candidate configuration file (appsettings format) to replay too, or null.</summary>
    public string? Config { get; init; }

    /// <summary>Print the <c>/admin/estimate</c> JSON instead of a table.</summary>
    public bool Json { get; init; }
}
