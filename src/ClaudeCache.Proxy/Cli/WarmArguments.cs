namespace ClaudeCache.Proxy.Cli;

/// <summary>What <c>claudecache warm</c> sends, and where.</summary>
internal sealed record WarmArguments
{
    /// <summary>The profile file (JSON, see docs/warming.md).</summary>
    public required string Profile { get; init; }

    /// <summary>Base URL of the running proxy.</summary>
    public string Url { get; init; } = "http://127.0.0.1:8787";

    /// <summary>Overrides the profile's concurrency.</summary>
    public int? Concurrency { get; init; }

    /// <summary>
    /// The API key the requests carry (forwarded upstream on a miss, never printed). Entries are partitioned under
    /// its tenant, so it must be the key the real traffic uses.
    /// </summary>
    public string? ApiKey { get; init; }
}
