using ClaudeCache.Caching;
using ClaudeCache.Costs;
using ClaudeCache.Extensions.AI.Chat;
using ClaudeCache.Extensions.AI.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130 // Extension methods live in the namespace of the type they extend, so they are found without a using.
namespace Microsoft.Extensions.AI;
#pragma warning restore IDE0130

/// <summary><c>ChatClientBuilder.UseClaudeCache(...)</c>.</summary>
public static class ClaudeCacheChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the <see cref="ClaudeCachingChatClient"/> middleware over the <see cref="ResponseCache"/> registered by
    /// <c>services.AddClaudeCache(...)</c>, with the <c>ClaudeCache:Chat</c> options, adjusted by <paramref name="configure"/>.
    /// Every call is recorded in the registered savings ledger (<see cref="LedgerRecorder"/>), as the handler's are.
    /// </summary>
    public static ChatClientBuilder UseClaudeCache(this ChatClientBuilder builder, Action<ClaudeCacheChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var cache = services.GetService<ResponseCache>()
                ?? throw new InvalidOperationException("No ResponseCache is registered: call services.AddClaudeCache(...) first, or pass a cache to UseClaudeCache.");
            var configured = services.GetService<IOptions<ClaudeCacheOptions>>()?.Value.Chat;
            var options = Copy(configured ?? new ClaudeCacheChatOptions());
            configure?.Invoke(options);
            return new ClaudeCachingChatClient(inner, cache, options, services.GetService<TimeProvider>(), services.GetService<ILogger<ClaudeCachingChatClient>>())
            {
                Ledger = services.GetService<LedgerRecorder>(),
            };
        });
    }

    /// <summary>
    /// Adds the middleware over an <paramref name="engine"/>'s cache, recording every call in its savings ledger
    /// (<see cref="CacheEngine.Ledger"/>): for applications without dependency injection, with an engine from
    /// <c>ClaudeCacheEngineFactory.Create(...)</c>.
    /// </summary>
    public static ChatClientBuilder UseClaudeCache(this ChatClientBuilder builder, CacheEngine engine, Action<ClaudeCacheChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        var options = new ClaudeCacheChatOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) =>
            new ClaudeCachingChatClient(inner, engine.Cache, options, services.GetService<TimeProvider>(), services.GetService<ILogger<ClaudeCachingChatClient>>())
            {
                Ledger = engine.Ledger,
            });
    }

    /// <summary>
    /// Adds the middleware over an explicit <paramref name="cache"/> (no dependency injection needed). A cache alone has
    /// no savings ledger, so nothing is recorded: pass the engine (<c>UseClaudeCache(engine)</c>) to account the calls.
    /// </summary>
    public static ChatClientBuilder UseClaudeCache(this ChatClientBuilder builder, ResponseCache cache, Action<ClaudeCacheChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cache);
        var options = new ClaudeCacheChatOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) =>
            new ClaudeCachingChatClient(inner, cache, options, services.GetService<TimeProvider>(), services.GetService<ILogger<ClaudeCachingChatClient>>()));
    }

    // Each client gets its own copy: one builder's configure must not change the shared defaults.
    private static ClaudeCacheChatOptions Copy(ClaudeCacheChatOptions source) => new()
    {
        Partition = source.Partition,
        Namespace = source.Namespace,
        Tags = source.Tags,
        Strategy = source.Strategy,
        TimeToLive = source.TimeToLive,
        CoalesceStreamingUpdates = source.CoalesceStreamingUpdates,
        CoalesceConcurrentCalls = source.CoalesceConcurrentCalls,
        CacheKeyAdditionalValues = source.CacheKeyAdditionalValues,
        JsonSerializerOptions = source.JsonSerializerOptions,
    };
}
