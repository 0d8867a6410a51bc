namespace ClaudeCache.Proxy.Hosting;

/// <summary>One scheduled profile: <c>ClaudeCache:Warming:Profiles:N</c>.</summary>
public sealed class WarmingProfileOptions
{
    /// <summary>The profile file (JSON, see <c>docs/warming.md</c>).</summary>
    public string File { get; set; } = "";

    /// <summary>How often it runs again; overrides the profile's own <c>interval</c>. Neither: it runs once, after start.</summary>
    public TimeSpan? Interval { get; set; }

    /// <summary>The API key to send it with (default: <c>ClaudeCache:Warming:ApiKey</c>, then <c>$ANTHROPIC_API_KEY</c>).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Overrides the profile's concurrency.</summary>
    public int? Concurrency { get; set; }
}
