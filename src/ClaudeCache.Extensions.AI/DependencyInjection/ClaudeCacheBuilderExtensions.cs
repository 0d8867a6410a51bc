using ClaudeCache.Caching;
using ClaudeCache.Extensions.AI;

#pragma warning disable IDE0130 // Extension methods live in the namespace of the type they extend, so they are found without a using.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>What store packages add to <c>services.AddClaudeCache(...)</c>.</summary>
public static class ClaudeCacheBuilderExtensions
{
    /// <summary>
    /// Makes a storage provider available: when <c>ClaudeCache:Storage:Provider</c> is <paramref name="name"/>, the
    /// engine is built over the stores <paramref name="createStores"/> returns (created once, disposed by the
    /// container after the cache and the ledger). For store packages; applications call their extension, such as
    /// <c>AddRedisStore()</c>. The last registration of a name wins.
    /// </summary>
    public static IClaudeCacheBuilder AddStoreProvider(this IClaudeCacheBuilder builder, string name, Func<IServiceProvider, ICacheStores> createStores)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(new ClaudeCacheStoreProvider(name, createStores));
        return builder;
    }
}
