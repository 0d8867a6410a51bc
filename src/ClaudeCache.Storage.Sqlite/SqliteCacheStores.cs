using ClaudeCache.Caching;
using ClaudeCache.Costs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeCache.Storage.Sqlite;

/// <summary>
/// The <c>sqlite</c> provider: the second tier and the ledger's tables in one SQLite file, which a proxy and
/// in-process users may share. Nothing runs in the background beyond the tier's own clean-up.
/// </summary>
public sealed class SqliteCacheStores : ICacheStores
{
    private readonly SqliteSecondTier _tier;

    /// <summary>Creates the tier (<paramref name="options"/>) and the ledger store on the same file.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SqliteCacheStores(SqliteStoreOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var loggers = loggerFactory ?? NullLoggerFactory.Instance;
        _tier = new SqliteSecondTier(options, timeProvider, loggers.CreateLogger<SqliteSecondTier>());
        LedgerStore = new FaultGuardedLedgerStore(new SqliteLedgerStore(options.Path, options.Exclusive), _tier.InspectWalIndex);
    }

    /// <inheritdoc />
    public ISecondTier? SecondTier => _tier;

    /// <inheritdoc />
    public ILedgerStore LedgerStore { get; }

    /// <inheritdoc />
    public IDistributedCoalescer? Coalescer => null;

    /// <inheritdoc />
    public void Start(ResponseCache cache, CancellationToken stopping) => ArgumentNullException.ThrowIfNull(cache);

    /// <summary>Nothing to release: the cache disposes the tier, and the ledger store holds no connection between calls.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
