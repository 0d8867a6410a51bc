namespace ClaudeCache.Proxy.Admin;

/// <summary>One alert rule (<c>ClaudeCache:Alerts:Rules:N</c>).</summary>
public sealed class AlertRule
{
    /// <summary>A name for logs, the dashboard and the webhook.</summary>
    public string Name { get; set; } = "";

    /// <summary>What the rule watches.</summary>
    public AlertKind Kind { get; set; }

    /// <summary>The limit (a ratio 0..1, or USD per hour for spend).</summary>
    public double Threshold { get; set; }

    /// <summary>The trailing window the value is computed over.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Below this many requests in the window the rule neither fires nor clears (too little data).</summary>
    public long MinRequests { get; set; } = 10;
}
