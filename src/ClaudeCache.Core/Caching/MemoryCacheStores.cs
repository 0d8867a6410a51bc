using ClaudeCache.Costs;

namespace ClaudeCache.Caching;

/// <summary>
/// The <c>memory</c> provider: no second tier (nothing survives a restart) and the ledger in process memory.
/// </summary>
public sealed class MemoryCacheStores : ICacheStores
{
    /// <inheritdoc />
    public ISecondTier? SecondTier => null;

    /// <inheritdoc />
    public ILedgerStore LedgerStore { get; } = new MemoryLedgerStore();

    /// <inheritdoc />
    public IDistributedCoalescer? Coalescer => null;

    /// <inheritdoc />
    public void Start(ResponseCache cache, CancellationToken stopping) => ArgumentNullException.ThrowIfNull(cache);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
