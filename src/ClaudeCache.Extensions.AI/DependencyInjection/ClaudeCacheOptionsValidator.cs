using ClaudeCache.Caching;
using ClaudeCache.Entries;
using ClaudeCache.Policy;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Extensions.AI;

/// <summary>Checks <see cref="ClaudeCacheOptions"/> at start-up (or first use), naming each bad key: the library's and the proxy's engine alike.</summary>
public sealed class ClaudeCacheOptionsValidator : IValidateOptions<ClaudeCacheOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ClaudeCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.UpstreamTimeout <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:UpstreamTimeout must be positive.");
        }

        errors.AddRange(options.UpstreamTimeouts.Problems().Select(p => "ClaudeCache:" + p.Replace("UpstreamTimeouts.", "UpstreamTimeouts:", StringComparison.Ordinal)));

        // 'redis' comes from its own package (AddRedisStore), which validates ClaudeCache:Storage:Redis.
        if (options.Storage.Provider is not ("sqlite" or "memory" or "redis"))
        {
            errors.Add($"ClaudeCache:Storage:Provider must be 'sqlite', 'redis' or 'memory', not '{options.Storage.Provider}'.");
        }

        if (options.Storage.Provider == "sqlite" && string.IsNullOrWhiteSpace(options.Storage.SqlitePath))
        {
            errors.Add("ClaudeCache:Storage:SqlitePath must name a file.");
        }

        if (options.Storage.SqliteExclusive && OperatingSystem.IsWindows())
        {
            errors.Add("ClaudeCache:Storage:SqliteExclusive needs SQLite's unix-excl VFS, which Windows does not have.");
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

        if (options.Chat.TimeToLive <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:Chat:TimeToLive must be positive.");
        }

        if (options.Chat.Tags is { } tags && !CacheTags.TryParse(string.Join(',', tags), out _, out var tagError))
        {
            errors.Add($"ClaudeCache:Chat:Tags: {tagError}");
        }

        if (string.IsNullOrEmpty(options.Chat.Partition))
        {
            errors.Add("ClaudeCache:Chat:Partition must not be empty.");
        }

        if (options.Costs.PricesFile is { Length: > 0 } prices && !File.Exists(prices))
        {
            errors.Add($"ClaudeCache:Costs:PricesFile '{prices}' does not exist.");
        }

        if (options.Costs.LedgerFlushInterval <= TimeSpan.Zero)
        {
            errors.Add("ClaudeCache:Costs:LedgerFlushInterval must be positive.");
        }

        if (options.Costs.MonthlyInfrastructureCostUsd < 0)
        {
            errors.Add("ClaudeCache:Costs:MonthlyInfrastructureCostUsd must not be negative.");
        }

        errors.AddRange(options.Costs.ToLedgerLimits().Validate("ClaudeCache:Costs"));

        var prompt = options.PromptCaching;
        if (prompt.MaxColdPrefixWait < TimeSpan.Zero || prompt.MaxColdPrefixWait > TimeSpan.FromSeconds(30))
        {
            errors.Add("ClaudeCache:PromptCaching:MaxColdPrefixWait must be between 00:00:00 and 00:00:30.");
        }

        if (prompt.RecordMaxEntries < 16)
        {
            errors.Add("ClaudeCache:PromptCaching:RecordMaxEntries must be at least 16.");
        }

        if (prompt.ValveWindow < 1)
        {
            errors.Add("ClaudeCache:PromptCaching:ValveWindow must be at least 1.");
        }

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

        if (cache.RequestMemoMaxEntries < 0 || cache.RequestMemoMaxBytes < 0)
        {
            yield return Invariant($"{Section}:RequestMemoMaxEntries and {Section}:RequestMemoMaxBytes must be 0 (off) or more.");
        }
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
