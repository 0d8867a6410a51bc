using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Checks the proxy's own options at start-up, so bad configuration stops the process with a clear message. The engine's
/// (storage, cache, strategies, costs) are checked by <c>ClaudeCacheOptionsValidator</c>, as in the library.
/// </summary>
internal sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(options.Upstream, UriKind.Absolute, out var upstream) || (upstream.Scheme != Uri.UriSchemeHttp && upstream.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"ClaudeCache:Upstream must be an absolute http(s) URL, not '{options.Upstream}'.");
        }

        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"ClaudeCache:Port must be between 0 and 65535, not {options.Port}.");
        }

        if (!System.Net.IPAddress.TryParse(options.BindAddress, out _) && options.BindAddress is not ("localhost" or "*"))
        {
            errors.Add($"ClaudeCache:BindAddress must be an IP address, 'localhost' or '*', not '{options.BindAddress}'.");
        }

        if (options.UpstreamConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:UpstreamConnectTimeout must be positive.");
        }

        if (options.MaxRequestBodyBytes < 1024)
        {
            errors.Add("ClaudeCache:MaxRequestBodyBytes must be at least 1024.");
        }

        if (options.MaxInFlightRequestBodyBytes < options.MaxRequestBodyBytes)
        {
            errors.Add($"ClaudeCache:MaxInFlightRequestBodyBytes must be at least ClaudeCache:MaxRequestBodyBytes ({options.MaxRequestBodyBytes}), so the largest body alone fits, not {options.MaxInFlightRequestBodyBytes}.");
        }

        if (options.MaxConcurrentRequests < 1)
        {
            errors.Add($"ClaudeCache:MaxConcurrentRequests must be at least 1, not {options.MaxConcurrentRequests}.");
        }

        if (options.AdminToken is { Length: > 0 and < 16 })
        {
            errors.Add("ClaudeCache:AdminToken must be at least 16 characters.");
        }

        for (var i = 0; i < options.Alerts.Rules.Count; i++)
        {
            var rule = options.Alerts.Rules[i];
            if (string.IsNullOrWhiteSpace(rule.Name) || rule.Window <= TimeSpan.Zero || rule.Threshold < 0 || rule.MinRequests < 0)
            {
                errors.Add($"ClaudeCache:Alerts:Rules:{i} needs a Name, a positive Window and a non-negative Threshold and MinRequests.");
            }
        }

        if (options.Alerts.Rules.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != options.Alerts.Rules.Count)
        {
            errors.Add("ClaudeCache:Alerts:Rules names must be unique.");
        }

        if (options.Alerts.WebhookUrl is { Length: > 0 } hook && !Uri.TryCreate(hook, UriKind.Absolute, out _))
        {
            errors.Add($"ClaudeCache:Alerts:WebhookUrl '{hook}' is not an absolute URL.");
        }

        if (options.Alerts.EvaluationInterval <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:Alerts:EvaluationInterval must be positive.");
        }

        errors.AddRange(options.Warming.Validate());

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
