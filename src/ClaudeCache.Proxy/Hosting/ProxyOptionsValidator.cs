using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Policy;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>Checks the proxy's options at start-up, so bad configuration stops the process with a clear message.</summary>
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

        if (options.UpstreamTimeout <= TimeSpan.Zero || options.UpstreamConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:UpstreamTimeout and ClaudeCache:UpstreamConnectTimeout must be positive.");
        }

        if (options.MaxRequestBodyBytes < 1024)
        {
            errors.Add("ClaudeCache:MaxRequestBodyBytes must be at least 1024.");
        }

        if (options.Storage.Provider is not ("sqlite" or "memory" or "redis"))
        {
            errors.Add($"ClaudeCache:Storage:Provider must be 'sqlite', 'redis' or 'memory', not '{options.Storage.Provider}'.");
        }

        if (options.Storage.Provider == "redis")
        {
            errors.AddRange(options.Storage.Redis.Validate("ClaudeCache:Storage:Redis"));
        }

        if (options.Storage.Provider == "sqlite" && string.IsNullOrWhiteSpace(options.Storage.SqlitePath))
        {
            errors.Add("ClaudeCache:Storage:SqlitePath must name a file.");
        }

        if (options.Storage.MaxBytes < 1024 * 1024)
        {
            errors.Add("ClaudeCache:Storage:MaxBytes must be at least 1 MiB.");
        }

        // Each key on its own line: the engine's own check names only the section.
        var cacheErrors = CacheErrors(options.Cache).ToList();
        errors.AddRange(cacheErrors);
        if (cacheErrors.Count == 0 && options.Cache.Validate() is { } cacheError)
        {
            errors.Add(cacheError);
        }

        if (options.Costs.MonthlyInfrastructureCostUsd < 0)
        {
            errors.Add("ClaudeCache:Costs:MonthlyInfrastructureCostUsd must not be negative.");
        }

        if (options.Costs.PricesFile is { Length: > 0 } prices && !File.Exists(prices))
        {
            errors.Add($"ClaudeCache:Costs:PricesFile '{prices}' does not exist.");
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

        var strategies = new StrategyOptionsValidator().Validate(name, options.Strategies);
        if (strategies.Failed)
        {
            errors.AddRange(strategies.Failures);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static IEnumerable<string> CacheErrors(ResponseCacheOptions cache)
    {
        const string Section = "ClaudeCache:Cache";
        if (cache.MemoryMaxBytes < 0)
        {
            yield return Invariant($"{Section}:MemoryMaxBytes must be 0 or more, not {cache.MemoryMaxBytes}.");
        }

        if (cache.DecodedMemoMaxBytes < 0)
        {
            yield return Invariant($"{Section}:DecodedMemoMaxBytes must be 0 or more, not {cache.DecodedMemoMaxBytes}.");
        }

        if (cache.MaxEntryBytes <= 0)
        {
            yield return Invariant($"{Section}:MaxEntryBytes must be positive, not {cache.MaxEntryBytes}.");
        }

        if (cache.WriteQueueCapacity <= 0)
        {
            yield return Invariant($"{Section}:WriteQueueCapacity must be positive, not {cache.WriteQueueCapacity}.");
        }

        if (cache.DictionaryTrainingEntries < 20)
        {
            yield return Invariant($"{Section}:DictionaryTrainingEntries must be at least 20, not {cache.DictionaryTrainingEntries}.");
        }

        if (cache.DictionaryMaxBytes is < 1024 or > EntryDictionary.MaxSize)
        {
            yield return Invariant($"{Section}:DictionaryMaxBytes must be between 1024 and {EntryDictionary.MaxSize}, not {cache.DictionaryMaxBytes}.");
        }

        if (cache.DictionaryRetrainInterval < TimeSpan.Zero || cache.DictionaryRetrainInterval > TimeSpan.FromDays(365))
        {
            yield return Invariant($"{Section}:DictionaryRetrainInterval must be between 00:00:00 and 365.00:00:00, not {cache.DictionaryRetrainInterval:c}.");
        }

        if (cache.DictionaryMaxAge <= TimeSpan.Zero)
        {
            yield return Invariant($"{Section}:DictionaryMaxAge must be positive, not {cache.DictionaryMaxAge:c}.");
        }

        if (cache.DictionariesKept < 1)
        {
            yield return Invariant($"{Section}:DictionariesKept must be at least 1, not {cache.DictionariesKept}.");
        }
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
