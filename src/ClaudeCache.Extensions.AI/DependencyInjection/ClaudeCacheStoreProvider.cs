using ClaudeCache.Caching;

namespace ClaudeCache.Extensions.AI;

/// <summary>
/// A storage provider a store package adds to the cache (<c>AddStoreProvider</c>): chosen when
/// <c>ClaudeCache:Storage:Provider</c> equals <see cref="Name"/>. The built-in providers are <c>sqlite</c> and
/// <c>memory</c>; <c>ClaudeCache.Extensions.AI.Redis</c> adds <c>redis</c>.
/// </summary>
public sealed class ClaudeCacheStoreProvider
{
    /// <summary>Creates the registration.</summary>
    public ClaudeCacheStoreProvider(string name, Func<IServiceProvider, ICacheStores> createStores)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(createStores);
        Name = name;
        CreateStores = createStores;
    }

    /// <summary>The <c>ClaudeCache:Storage:Provider</c> value that selects this provider.</summary>
    public string Name { get; }

    /// <summary>Creates the stores, once per container; the container disposes them after the cache and the ledger.</summary>
    public Func<IServiceProvider, ICacheStores> CreateStores { get; }
}
