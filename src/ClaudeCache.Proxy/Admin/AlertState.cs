namespace ClaudeCache.Proxy.Admin;

/// <summary>A rule's state after the last evaluation.</summary>
/// <param name="Name">The rule's name.</param>
/// <param name="Kind">What it watches (its enum name).</param>
/// <param name="Threshold">Its limit.</param>
/// <param name="Window">Its window.</param>
/// <param name="Firing">Whether it is firing.</param>
/// <param name="Value">The last value computed, or null with too little data.</param>
/// <param name="Since">When it started firing (or cleared).</param>
public sealed record AlertState(string Name, string Kind, double Threshold, TimeSpan Window, bool Firing, double? Value, DateTimeOffset? Since);

/// <summary>The body of <c>/admin/alerts</c>.</summary>
/// <param name="EvaluatedAt">When the rules were last evaluated.</param>
/// <param name="Rules">Every rule's state.</param>
public sealed record AlertsResponse(DateTimeOffset? EvaluatedAt, IReadOnlyList<AlertState> Rules);

/// <summary>The JSON POSTed to the webhook when a rule fires or clears.</summary>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Rule">The rule's name.</param>
/// <param name="Kind">What it watches.</param>
/// <param name="Value">The value that crossed the threshold.</param>
/// <param name="Threshold">The limit.</param>
/// <param name="WindowSeconds">The window.</param>
/// <param name="At">When.</param>
public sealed record AlertNotification(string Status, string Rule, string Kind, double? Value, double Threshold, double WindowSeconds, DateTimeOffset At);
