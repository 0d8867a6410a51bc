using ClaudeCache.Proxy.Admin;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// The proxy's own settings (listening, the upstream, the admin API, alerts, scheduled warming): section
/// <c>ClaudeCache</c> of appsettings.json, appsettings.{Environment}.json, a <c>--config</c> file, <c>CLAUDECACHE__…</c>
/// environment variables and command-line options, in rising order. The engine's settings in the same section (storage,
/// cache, strategies, costs, prompt caching, upstream timeout) are <c>ClaudeCacheOptions</c>, bound by <c>AddClaudeCache</c>.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "ClaudeCache";

    /// <summary>Base URL of the Anthropic API (or another compatible upstream).</summary>
    public string Upstream { get; set; } = "https://api.anthropic.com";

    /// <summary>Address to listen on. Loopback by default: expose it deliberately.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Port to listen on (0 picks a free one).</summary>
    public int Port { get; set; } = 8787;

    /// <summary>Longest wait to connect to the upstream: beyond it a miss fails with 502.</summary>
    public TimeSpan UpstreamConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest request body accepted (Anthropic's own limit for Messages is 32 MB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Request body bytes held at once by all requests on <c>/v1/messages</c> and <c>/v1/messages/count_tokens</c>,
    /// reserved as a body is read (its <c>Content-Length</c> up front) and released when its request ends. A request
    /// that would go over it gets 503 <c>overloaded_error</c> with <c>retry-after</c> (docs/reliability.md). At least
    /// <see cref="MaxRequestBodyBytes"/>, so the largest body alone always fits. It counts each body once: while it is
    /// handled a request holds up to about four times its body (the parse's metadata, the prompt text content rules
    /// read, the copy sent upstream; measured per step in docs/reliability.md), so size it at a quarter of the memory
    /// request bodies may use.
    /// </summary>
    public long MaxInFlightRequestBodyBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Requests on <c>/v1/messages</c> and <c>/v1/messages/count_tokens</c> handled at once; the next one gets 503
    /// <c>overloaded_error</c> with <c>retry-after</c> instead of waiting.
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>
    /// The token that <c>/admin/*</c> and the dashboard's data require (<c>Authorization: Bearer T</c> or
    /// <c>x-admin-token: T</c>). Without one, the admin API is closed.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>Alert rules and the webhook.</summary>
    public AlertOptions Alerts { get; set; } = new();

    /// <summary>Scheduled warming profiles (docs/warming.md).</summary>
    public WarmingOptions Warming { get; set; } = new();
}
