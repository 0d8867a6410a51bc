using System.Globalization;
using System.Threading.Channels;
using ClaudeCache.Entries;
using ClaudeCache.Keys;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZstdSharp;

namespace ClaudeCache.Caching;

/// <summary>
/// The tiered response cache: a memory tier in front of an optional durable second tier (SQLite, Redis).
/// It never fails a request: a second tier that throws is a miss on read and a dropped write on store, logged and
/// counted (fail-open). Writes to the second tier happen on a background loop, never on the caller's path.
/// </summary>
public sealed partial class ResponseCache : IAsyncDisposable
{
    private readonly ResponseCacheOptions _options;
    private readonly ISecondTier? _secondTier;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClaudeCacheMetrics _metrics;
    private readonly MemoryTier _memory;
    private readonly TombstoneRecord _tombstones;
    private readonly DecodedEntryMemo? _decoded;
    private readonly EntryDictionarySet _dictionaries;
    private readonly DictionaryTrainer _trainer;
    private readonly Channel<PendingWrite> _writes;
    private readonly Task _writer;
    private readonly List<IAsyncDisposable> _owned = [];
    private long _pendingWrites;
    private long _rawBytesWritten;
    private long _encodedBytesWritten;

    /// <summary>Creates the cache over an optional second tier, which it owns (and disposes).</summary>
    public ResponseCache(
        ResponseCacheOptions options,
        ISecondTier? secondTier,
        TimeProvider timeProvider,
        ClaudeCacheMetrics metrics,
        ILogger<ResponseCache>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _secondTier = secondTier;
        _time = timeProvider;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _memory = new MemoryTier(options.MemoryMaxBytes);
        _tombstones = new TombstoneRecord(options.TombstoneMaxEntries);
        _memory.Dropped = _tombstones.Record;
        _decoded = options.DecodedMemoMaxBytes > 0 ? new DecodedEntryMemo(options.DecodedMemoMaxBytes) : null;
        _writes = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        _writer = Task.Run(WriteLoopAsync);
        // Trained dictionaries need a place every reader finds them: none (memory only) or a dictionary store. A
        // durable tier that cannot hold them would keep entries no restart or other instance could read.
        var dictionaryStore = secondTier as IDictionaryStore;
        var train = options.TrainDictionary && (secondTier is null || dictionaryStore is not null);
        if (options.TrainDictionary && !train)
        {
            Log.TierHoldsNoDictionaries(_logger, secondTier!.GetType().Name);
        }

        _dictionaries = new EntryDictionarySet(followNewest: train);
        _trainer = new DictionaryTrainer(options, train, _dictionaries, dictionaryStore, timeProvider, _logger, metrics);
    }

    /// <summary>
    /// The zstd dictionaries this cache's entries may name; new entries are compressed with
    /// <see cref="EntryDictionarySet.Active"/> (the shipped one until a trained one is adopted).
    /// </summary>
    public EntryDictionarySet Dictionaries => _dictionaries;

    /// <summary>Training rounds finished since start (tests).</summary>
    internal int DictionaryRounds => _trainer.Rounds;

    /// <summary>Completes when the dictionaries already in the second tier are loaded and no training round runs.</summary>
    public async Task WhenDictionariesIdleAsync()
    {
        await _trainer.Loaded.ConfigureAwait(false);
        await _trainer.Round.ConfigureAwait(false);
    }

    /// <summary>The product's instruments, shared by everything built on this cache.</summary>
    public ClaudeCacheMetrics Metrics => _metrics;

    /// <summary>The memory tier (for statistics).</summary>
    public MemoryTier Memory => _memory;

    /// <summary>The second tier, when there is one.</summary>
    public ISecondTier? SecondTier => _secondTier;

    /// <summary>
    /// Tells other instances to drop entries this one replaced or removed (Redis pub/sub). Set it once at start-up.
    /// </summary>
    public ICacheBackplane? Backplane { get; set; }

    /// <summary>Drops an entry from this instance's memory tier only (a backplane message from another instance).</summary>
    public void EvictLocal(string hexKey) => _memory.Remove(hexKey);

    /// <summary>
    /// Step 5: looks the key up in the memory tier, then the second tier, and returns a fresh entry or null. A corrupt
    /// entry is a miss and is removed; an entry of an unknown format version or dictionary is a miss left for the
    /// instances that can read it; a failing tier is a miss, also when it fails to load the dictionary an entry names.
    /// </summary>
    public async ValueTask<CachedResponse?> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var lookup = await LookupCoreAsync(key, withReason: false, cancellationToken).ConfigureAwait(false);
        return lookup.IsFresh ? lookup.Entry : null;
    }

    /// <summary>
    /// Step 5 as the engine needs it: a fresh entry; or an expired one still kept for its grace (to answer when the
    /// upstream fails, docs/serve-stale.md); or nothing, with the reason remembered (evicted, invalidated, expired) or
    /// <see cref="MissReason.New"/>. Failures are handled as by <see cref="GetAsync"/>.
    /// </summary>
    public ValueTask<CacheLookup> LookupAsync(CacheKey key, CancellationToken cancellationToken) =>
        LookupCoreAsync(key, withReason: true, cancellationToken);

    /// <summary>
    /// A fresh answer held by the memory tier, or null; no I/O. For the leader of a new flight: an answer stored
    /// between its caller's lookup and its joining, by a flight that has left the registry since, is found here.
    /// </summary>
    internal async ValueTask<CachedResponse?> GetFreshFromMemoryAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var hex = key.ToHex();
        return _memory.Get(hex, now) is { } payload
            && await DecodeAsync(key, hex, payload, fromMemory: true, cancellationToken).ConfigureAwait(false) is { } held
            && held.ExpiresAt > now
            ? held
            : null;
    }

    private async ValueTask<CacheLookup> LookupCoreAsync(CacheKey key, bool withReason, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var hex = key.ToHex();
        CachedResponse? stale = null;
        var payload = _memory.Get(hex, now);
        if (payload is not null && await DecodeAsync(key, hex, payload, fromMemory: true, cancellationToken).ConfigureAwait(false) is { } held)
        {
            if (held.ExpiresAt > now)
            {
                CacheSpans.FoundIn(memory: true);
                return new CacheLookup(held, IsFresh: true, MissReason.New);
            }

            // Expired, kept for its grace: the shared tier may hold a fresher answer another instance stored.
            stale = held;
            _memory.Demote(hex, now);
        }

        if (_secondTier is not null)
        {
            byte[]? stored;
            try
            {
                stored = await _secondTier.GetAsync(hex, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _metrics.StoreError("read");
                Log.SecondTierReadFailed(_logger, ex);
                stored = null;
            }

            if (stored is not null && (stale is null || !stored.AsSpan().SequenceEqual(payload))
                && await DecodeAsync(key, hex, stored, fromMemory: false, cancellationToken).ConfigureAwait(false) is { } found)
            {
                // Promote: the next lookup is served from memory (a stale one too, at low priority: an outage repeats it).
                _memory.Set(hex, stored, found.ExpiresAt, KeepUntil(found, TimeSpan.Zero), now);
                if (found.ExpiresAt > now)
                {
                    CacheSpans.FoundIn(memory: false);
                    return new CacheLookup(found, IsFresh: true, MissReason.New);
                }

                if (stale is null || found.CreatedAt > stale.CreatedAt)
                {
                    stale = found;
                }
            }
        }

        if (stale is not null)
        {
            return new CacheLookup(stale, IsFresh: false, MissReason.Expired);
        }

        return new CacheLookup(null, IsFresh: false, withReason ? await TombstoneAsync(hex, cancellationToken).ConfigureAwait(false) : MissReason.New);
    }

    /// <summary>Decodes a payload found in a tier (null: a miss, see <see cref="GetAsync"/>), memoising hot entries.</summary>
    private async ValueTask<CachedResponse?> DecodeAsync(CacheKey key, string hex, byte[] payload, bool fromMemory, CancellationToken cancellationToken)
    {
        // A hot entry: the memory tier still holds the very payload this was decoded from.
        if (fromMemory && _decoded?.Get(key.GetHashCode(), payload) is { } memoised)
        {
            return memoised;
        }

        var status = EntryCodec.TryDecode(payload, _dictionaries, out var entry);
        if (status == DecodeStatus.UnknownDictionary && EntryCodec.TryGetDictionaryId(payload, out var dictionaryId))
        {
            switch (await _trainer.TryLoadAsync(dictionaryId, cancellationToken).ConfigureAwait(false))
            {
                case true:
                    // Compressed with a dictionary another instance (or an earlier run) trained: now loaded.
                    status = EntryCodec.TryDecode(payload, _dictionaries, out entry);
                    break;
                case null:
                    // The store failed to say (logged and counted): the entry is intact, so this is a miss like any
                    // failed read, and the entry stays for the next read.
                    return null;
            }
        }

        if (status != DecodeStatus.Ok || entry is null)
        {
            Log.DiscardedEntry(_logger, status.ToString());
            _metrics.DiscardedEntry(status.ToString());
            _memory.Remove(hex);
            if (status == DecodeStatus.Corrupt)
            {
                // Damaged: gone for everyone. An intact entry of another format version or naming a dictionary this
                // instance cannot find stays in a shared tier: other instances (a newer build during a rolling
                // upgrade) may read it, and a miss here overwrites it anyway.
                await RemoveFromSecondTierAsync(hex).ConfigureAwait(false);
            }

            return null;
        }

        _decoded?.Add(key.GetHashCode(), payload, entry);
        return entry;
    }

    /// <summary>
    /// Step 10: stores an answer: encoded at once into the memory tier, written to the second tier in the
    /// background. Call it off the response path (the proxy calls it after the body has been handed over).
    /// </summary>
    public void Set(CacheKey key, CachedResponse response) => Set(key, response, replaces: false);

    /// <summary>
    /// Stores an answer; when it <paramref name="replaces"/> an entry other instances may hold in memory (a refresh),
    /// the backplane tells them to drop it once the second tier has the new one.
    /// </summary>
    public void Set(CacheKey key, CachedResponse response, bool replaces) => Set(key, response, replaces, metadata: null, TimeSpan.Zero);

    /// <summary>
    /// Stores an answer with the <paramref name="metadata"/> a purge selects it by (tags, tenant, namespace, model,
    /// strategy, context, creation time), kept beside the entry in every tier that has an index.
    /// </summary>
    public void Set(CacheKey key, CachedResponse response, bool replaces, EntryMetadata? metadata) => Set(key, response, replaces, metadata, TimeSpan.Zero);

    /// <summary>
    /// Stores an answer kept past its TTL for <paramref name="grace"/> or its strategy's grace
    /// (<see cref="GraceOf"/>), whichever is longer, to answer as stale when the upstream fails; see
    /// <see cref="Set(CacheKey, CachedResponse, bool)"/> for <paramref name="replaces"/>.
    /// </summary>
    public void Set(CacheKey key, CachedResponse response, bool replaces, TimeSpan grace) => Set(key, response, replaces, metadata: null, grace);

    /// <summary>Stores an answer with its purge <paramref name="metadata"/>, kept past its TTL as <see cref="Set(CacheKey, CachedResponse, bool, TimeSpan)"/> keeps it.</summary>
    public void Set(CacheKey key, CachedResponse response, bool replaces, EntryMetadata? metadata, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(response);
        var keepUntil = KeepUntil(response, grace);
        if (StoreInMemory(key, response, keepUntil, metadata) is not { } payload || _secondTier is null)
        {
            return;
        }

        var hex = key.ToHex();
        Interlocked.Increment(ref _pendingWrites);
        if (!_writes.Writer.TryWrite(new PendingWrite(hex, payload, response.ExpiresAt, keepUntil, replaces, metadata)))
        {
            Interlocked.Decrement(ref _pendingWrites);
            _metrics.StoreError("queue_full");
            Log.WriteQueueFull(_logger);
        }
    }

    /// <summary>Entries and bytes per tier, and the compression ratio achieved. A failing tier reports null.</summary>
    public async Task<CacheStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        long? storedEntries = null;
        long? storedBytes = null;
        if (_secondTier is ITierStatistics statistics)
        {
            try
            {
                var stored = await statistics.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
                (storedEntries, storedBytes) = (stored.EntryCount, stored.TotalBytes);
            }
#pragma warning disable CA1031 // Statistics are best effort: a failing tier shows as unknown, not as an error page.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _metrics.StoreError("statistics");
                Log.SecondTierReadFailed(_logger, ex);
            }
        }

        var encoded = Interlocked.Read(ref _encodedBytesWritten);
        double? ratio = encoded == 0 ? null : (double)Interlocked.Read(ref _rawBytesWritten) / encoded;
        var dictionary = _dictionaries.Active;
        return new CacheStatistics(
            _memory.Count,
            _memory.Bytes,
            storedEntries,
            storedBytes,
            ratio,
            dictionary.Id.ToString("x8", CultureInfo.InvariantCulture),
            dictionary.IsShipped ? null : dictionary.CreatedAt);
    }

    /// <summary>
    /// Removes an entry from every tier, and from every other instance's memory tier, leaving an "invalidated"
    /// tombstone (<see cref="InvalidateAsync"/>).
    /// </summary>
    public ValueTask RemoveAsync(CacheKey key, CancellationToken cancellationToken) => InvalidateAsync(key, MissReason.Invalidated, cancellationToken);

    /// <summary>
    /// Stores an answer in the memory tier and waits for the second tier to have it: for an instance holding a
    /// distributed lease, whose waiters look for the entry as soon as the lease is released.
    /// </summary>
    public Task SetAndWaitAsync(CacheKey key, CachedResponse response, bool replaces, CancellationToken cancellationToken) =>
        SetAndWaitAsync(key, response, replaces, metadata: null, TimeSpan.Zero, cancellationToken);

    /// <summary>As <see cref="SetAndWaitAsync(CacheKey, CachedResponse, bool, CancellationToken)"/>, with the entry's purge metadata, kept past its TTL as <see cref="Set(CacheKey, CachedResponse, bool, TimeSpan)"/> keeps it.</summary>
    public async Task SetAndWaitAsync(CacheKey key, CachedResponse response, bool replaces, EntryMetadata? metadata, TimeSpan grace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var keepUntil = KeepUntil(response, grace);
        if (StoreInMemory(key, response, keepUntil, metadata) is not { } payload || _secondTier is null)
        {
            return;
        }

        var hex = key.ToHex();
        try
        {
            await WriteToSecondTierAsync(hex, payload, response.ExpiresAt, keepUntil, metadata, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Fail-open: the entry stays in memory; waiters will call upstream themselves.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("write");
            Log.SecondTierWriteFailed(_logger, ex);
            return;
        }

        if (replaces)
        {
            await PublishEvictionAsync(hex).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Encodes an answer and puts it in the memory tier; returns the payload for the second tier, or null when the
    /// answer has already expired or is too large to store (counted).
    /// </summary>
    private byte[]? StoreInMemory(CacheKey key, CachedResponse response, DateTimeOffset keepUntil, EntryMetadata? metadata)
    {
        var now = _time.GetUtcNow();
        if (response.ExpiresAt <= now)
        {
            return null;
        }

        byte[] payload;
        try
        {
            payload = EntryCodec.Encode(response, _dictionaries.Active);
        }
        catch (ZstdException ex)
        {
            // A dictionary zstd cannot use (checked when loaded, so this is a defect): the shipped one always works.
            _metrics.StoreError("dictionary");
            Log.DictionaryEncodeFailed(_logger, ex);
            payload = EntryCodec.Encode(response, EntryDictionary.Shipped);
        }

        _trainer.Offer(response);
        if (payload.Length > _options.MaxEntryBytes)
        {
            _metrics.OversizedEntry();
            Log.OversizedEntry(_logger, payload.Length, _options.MaxEntryBytes);
            return null;
        }

        Interlocked.Add(ref _rawBytesWritten, response.Body.Length + response.RawSse.Length);
        Interlocked.Add(ref _encodedBytesWritten, payload.Length);
        var hex = key.ToHex();
        _memory.Set(hex, payload, response.ExpiresAt, keepUntil, now, metadata);
        _tombstones.Forget(hex);
        return payload;
    }

    private async Task PublishEvictionAsync(string hex)
    {
        if (Backplane is not { } backplane)
        {
            return;
        }

        try
        {
            await backplane.PublishEvictionAsync(hex, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A lost eviction leaves another instance's copy until its TTL; it never fails a request.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("backplane");
            Log.SecondTierWriteFailed(_logger, ex);
        }
    }

    /// <summary>Waits until every queued second-tier write has been attempted.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        while (Interlocked.Read(ref _pendingWrites) > 0)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ties <paramref name="resource"/> to this cache: it is disposed when the cache is, after the pending writes
    /// (the in-process engine's savings ledger, flushed at shutdown with the cache).
    /// </summary>
    public void DisposeWith(IAsyncDisposable resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_owned)
        {
            _owned.Add(resource);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _trainer.DisposeAsync().ConfigureAwait(false);
        IAsyncDisposable[] owned;
        lock (_owned)
        {
            owned = [.. _owned];
            _owned.Clear();
        }

        foreach (var resource in owned)
        {
            await resource.DisposeAsync().ConfigureAwait(false);
        }

        _memory.Dispose();
        if (_secondTier is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        await foreach (var write in _writes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await WriteToSecondTierAsync(write.Key, write.Payload, write.ExpiresAt, write.KeepUntil, write.Metadata, CancellationToken.None).ConfigureAwait(false);
                if (write.Publish)
                {
                    await PublishEvictionAsync(write.Key).ConfigureAwait(false);
                }
            }
#pragma warning disable CA1031 // Fail-open: a store failure must never surface; it is logged and counted.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _metrics.StoreError("write");
                Log.SecondTierWriteFailed(_logger, ex);
            }
            finally
            {
                Interlocked.Decrement(ref _pendingWrites);
            }
        }
    }

    private async ValueTask RemoveFromSecondTierAsync(string hex)
    {
        if (_secondTier is null)
        {
            return;
        }

        try
        {
            await _secondTier.RemoveAsync(hex, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Fail-open, as above.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("remove");
            Log.SecondTierWriteFailed(_logger, ex);
        }
    }

    // An entry with metadata goes to a tier with an index through the index, in the same write.
    private ValueTask WriteToSecondTierAsync(string hex, byte[] payload, DateTimeOffset expiresAt, DateTimeOffset keepUntil, EntryMetadata? metadata, CancellationToken cancellationToken) =>
        metadata is not null && _secondTier is IEntryIndex index
            ? index.SetAsync(hex, payload, expiresAt, keepUntil, metadata, cancellationToken)
            : _secondTier!.SetAsync(hex, payload, expiresAt, keepUntil, cancellationToken);

    private sealed record PendingWrite(string Key, byte[] Payload, DateTimeOffset ExpiresAt, DateTimeOffset KeepUntil, bool Publish, EntryMetadata? Metadata);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Second tier read failed; serving as a miss")]
        public static partial void SecondTierReadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Second tier write failed; the entry stays in memory only")]
        public static partial void SecondTierWriteFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Discarded a stored entry ({Status}); treated as a miss")]
        public static partial void DiscardedEntry(ILogger logger, string status);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Entry of {Bytes} bytes exceeds the limit of {Limit} bytes; not stored")]
        public static partial void OversizedEntry(ILogger logger, int bytes, int limit);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Second-tier write queue is full; a write was dropped")]
        public static partial void WriteQueueFull(ILogger logger);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "The second tier ({Tier}) cannot store entry dictionaries; entries use the shipped dictionary")]
        public static partial void TierHoldsNoDictionaries(ILogger logger, string tier);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Could not compress with the entry dictionary in use; used the shipped one")]
        public static partial void DictionaryEncodeFailed(ILogger logger, Exception exception);
    }
}
