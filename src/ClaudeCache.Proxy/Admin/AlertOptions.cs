namespace ClaudeCache.Proxy.Admin;

/// <summary>Alerting (<c>ClaudeCache:Alerts</c>).</summary>
public sealed class AlertOptions
{
    /// <summary>The rules; none by default.</summary>
    public List<AlertRule> Rules { get; set; } = [];

    /// <summary>An optional URL that receives every firing and clearing as a JSON POST.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>How often the rules are evaluated.</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(30);
}
