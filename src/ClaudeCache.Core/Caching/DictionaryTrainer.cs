using System.Collections.Concurrent;
using System.Buffers;
using ClaudeCache.Entries;
using ClaudeCache.Telemetry;
using Microsoft.Extensions.Logging;
using ZstdSharp;

namespace ClaudeCache.Caching;

/// <summary>
/// Trains zstd dictionaries on a store's own entries (docs/decisions/0007-trained-dictionaries.md). It samples the
/// entries being stored; once it has <see cref="ResponseCacheOptions.DictionaryTrainingEntries"/> of them it trains
/// on nine in ten and measures on the tenth, and adopts the new dictionary only when it makes those held-out
/// entries at least <see cref="MinimumGain"/> smaller than the dictionary in use. An adopted dictionary is saved
/// in the store before any entry uses it, so entries stay readable after a restart and on every instance; a store
/// that cannot save it means the dictionary is not adopted. Everything runs off the response path.
/// </summary>
internal sealed partial class DictionaryTrainer : IAsyncDisposable
{
    /// <summary>The shortest claim on a training round: longer than any round takes.</summary>
    internal static readonly TimeSpan MinimumClaim = TimeSpan.FromMinutes(1);

    /// <summary>A new dictionary must shrink the held-out entries by this fraction to replace the one in use.</summary>
    internal const double MinimumGain = 0.05;

    /// <summary>
    /// How often the dictionary in use is written to the store again (a no-op when it is there): a Redis with an
    /// <c>allkeys-*</c> eviction policy may evict the rarely read dictionaries hash, and every entry naming a lost
    /// dictionary reads as a miss.
    /// </summary>
    internal static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Longer entries are sampled by their first bytes only: the metadata, the Message and the start of a stream,
    /// whose framing then repeats.
    /// </summary>
    private const int MaxSampleBytes = 4 * 1024;

    /// <summary>
    /// A round starts early when its samples reach this size: sampling holds at most this much memory (and the
    /// trainer a copy of it while it runs), a fixed cost, not one per cached entry.
    /// </summary>
    private const int MaxRoundBytes = 1024 * 1024;

    private readonly ResponseCacheOptions _options;
    private readonly bool _train;
    private readonly EntryDictionarySet _dictionaries;
    private readonly IDictionaryStore? _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClaudeCacheMetrics _metrics;
    private readonly Lock _gate = new();
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly Task _loaded;
    private List<byte[]> _samples = [];
    private long _sampleBytes;
    private bool _training;
    private bool _disposed;
    private DateTimeOffset _nextRoundAt = DateTimeOffset.MinValue;
    private Task _round = Task.CompletedTask;
    private int _rounds;
    private DateTimeOffset _refreshedAt;
    private Task _refresh = Task.CompletedTask;
    private readonly ConcurrentDictionary<uint, Task<bool?>> _loading = new();

    internal DictionaryTrainer(
        ResponseCacheOptions options,
        bool train,
        EntryDictionarySet dictionaries,
        IDictionaryStore? store,
        TimeProvider time,
        ILogger logger,
        ClaudeCacheMetrics metrics)
    {
        _options = options;
        _train = train;
        _dictionaries = dictionaries;
        _store = store;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _loaded = store is null ? Task.CompletedTask : Task.Run(() => LoadStoredAsync(CancellationToken.None));
    }

    /// <summary>Completes when the dictionaries already in the store have been loaded (or failed to load).</summary>
    internal Task Loaded => _loaded;

    /// <summary>The training round and the store refresh in progress, or a completed task.</summary>
    internal Task Round
    {
        get
        {
            lock (_gate)
            {
                return Task.WhenAll(_round, _refresh);
            }
        }
    }

    /// <summary>Training rounds finished since start, whatever their outcome.</summary>
    internal int Rounds => Volatile.Read(ref _rounds);

    /// <summary>Samples an entry that is being stored; starts a training round when enough are collected.</summary>
    internal void Offer(CachedResponse response)
    {
        if (!_train)
        {
            return;
        }

        List<byte[]> samples;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_store is not null && now - _refreshedAt >= RefreshInterval && _refresh.IsCompleted && !_dictionaries.Active.IsShipped)
            {
                _refreshedAt = now;
                var active = _dictionaries.Active;
                _refresh = Task.Run(() => RefreshAsync(active));
            }

            if (_training || _disposed || now < _nextRoundAt)
            {
                return;
            }

            var sample = Sample(response);
            _samples.Add(sample);
            _sampleBytes += sample.Length;
            if (_samples.Count < _options.DictionaryTrainingEntries && _sampleBytes < MaxRoundBytes)
            {
                return;
            }

            (samples, _samples, _sampleBytes) = (_samples, [], 0);
            _training = true;
            _round = Task.Run(() => RunRoundAsync(samples));
        }
    }

    /// <summary>
    /// Makes the dictionary <paramref name="id"/> available for decoding: an entry another instance (or an earlier
    /// run) compressed with it. True when loaded; false when the store does not have it (or holds no valid
    /// dictionary under that id); null when the store could not be read, which says nothing about the entry.
    /// </summary>
    internal async ValueTask<bool?> TryLoadAsync(uint id, CancellationToken cancellationToken)
    {
        if (_dictionaries.TryGet(id, out _))
        {
            return true;
        }

        if (_store is null)
        {
            return false;
        }

        // One read per id however many requests meet it at once (a new instance's first seconds on a busy store).
        var load = _loading.GetOrAdd(id, static (key, self) => self.LoadAsync(key), this);
        try
        {
            return await load.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (load.IsCompleted)
            {
                _loading.TryRemove(new KeyValuePair<uint, Task<bool?>>(id, load));
            }
        }
    }

    private async Task<bool?> LoadAsync(uint id)
    {
        try
        {
            var stored = await _store!.GetDictionaryAsync(id, CancellationToken.None).ConfigureAwait(false);
            if (stored is null || !Add(stored))
            {
                return false;
            }

            _dictionaries.KeepNewest(_options.DictionariesKept + 1);
            return _dictionaries.TryGet(id, out _);
        }
#pragma warning disable CA1031 // Fail-open: a store that cannot answer makes this read a miss, nothing more.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("dictionary");
            Log.LoadFailed(_logger, ex);
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true; // no round starts after this
        }

        await _loaded.ConfigureAwait(false);
        await Round.ConfigureAwait(false);
    }

    private static byte[] Sample(CachedResponse response)
    {
        var length = EntryBodyWriter.Measure(response);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var writer = new EntryBodyWriter(buffer);
            writer.Write(response);
            return buffer.AsSpan(0, Math.Min(length, MaxSampleBytes)).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long CompressedSize(EntryDictionary dictionary, List<byte[]> samples)
    {
        long total = 0;
        foreach (var sample in samples)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(sample.Length));
            try
            {
                total += dictionary.Compress(sample, buffer);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return total;
    }

    private bool Add(StoredDictionary stored)
    {
        // The newest dictionary compresses new entries: one stamped by an instance whose clock runs ahead counts as
        // trained now, so that it does not stay "newest" for every instance until its clock is caught up with.
        var now = _time.GetUtcNow();
        var createdAt = stored.CreatedAt > now ? now : stored.CreatedAt;
        if (!EntryDictionary.TryCreate(stored.Bytes, createdAt, out var dictionary) || dictionary!.Id != stored.Id)
        {
            Log.InvalidStored(_logger, stored.Id);
            return false;
        }

        _dictionaries.Add(dictionary);
        return true;
    }

    private async Task LoadStoredAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var stored in await _store!.LoadDictionariesAsync(cancellationToken).ConfigureAwait(false))
            {
                Add(stored);
            }

            _dictionaries.KeepNewest(_options.DictionariesKept + 1);
        }
#pragma warning disable CA1031 // Fail-open: without its dictionaries the store's entries read as misses until loaded by id.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("dictionary");
            Log.LoadFailed(_logger, ex);
        }
    }

    private async Task RunRoundAsync(List<byte[]> samples)
    {
        var outcome = "failed";
        try
        {
            outcome = await TrainAsync(samples).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed round leaves the dictionary in use as it is; it never affects a request.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RoundFailed(_logger, ex);
        }
        finally
        {
            _metrics.DictionaryRound(outcome);
            Interlocked.Increment(ref _rounds);
            lock (_gate)
            {
                _training = false;
                _nextRoundAt = _time.GetUtcNow() + _options.DictionaryRetrainInterval;
            }
        }
    }

    private async Task<string> TrainAsync(List<byte[]> samples)
    {
        // Instances sharing a store take turns: one claims the round; the others, and any instance that finds a newer
        // dictionary in the store, adopt what is there instead of training their own.
        await _loaded.ConfigureAwait(false);
        var current = _dictionaries.Active;
        if (_store is not null)
        {
            await LoadStoredAsync(CancellationToken.None).ConfigureAwait(false);
            if (_dictionaries.Active != current)
            {
                Log.AdoptedShared(_logger, _dictionaries.Active.Id);
                return "skipped";
            }

            var lease = _options.DictionaryRetrainInterval > MinimumClaim ? _options.DictionaryRetrainInterval : MinimumClaim;
            if (!await _store.TryClaimTrainingAsync(_owner, lease, CancellationToken.None).ConfigureAwait(false))
            {
                Log.ClaimedElsewhere(_logger);
                return "skipped";
            }
        }

        var heldOut = new List<byte[]>();
        var training = new List<byte[]>();
        for (var i = 0; i < samples.Count; i++)
        {
            (i % 10 == 9 ? heldOut : training).Add(samples[i]);
        }

        var bytes = DictBuilder.TrainFromBuffer(training, _options.DictionaryMaxBytes).ToArray();
        var createdAt = _time.GetUtcNow();
        if (!EntryDictionary.TryCreate(bytes, createdAt, out var candidate) || _dictionaries.TryGet(candidate!.Id, out _))
        {
            return "failed";
        }

        var before = CompressedSize(current, heldOut);
        var after = CompressedSize(candidate, heldOut);
        var gain = 1 - ((double)after / before);

        // A dictionary holds fragments of the answers it was trained on: past its maximum age it is replaced even by
        // a candidate that is merely as good (one that compresses worse is still refused).
        var retiring = !current.IsShipped && createdAt - current.CreatedAt >= _options.DictionaryMaxAge && gain >= 0;
        if (gain < MinimumGain && !retiring)
        {
            Log.Rejected(_logger, candidate.Id, training.Count, before, after);
            return "rejected";
        }

        if (_store is not null)
        {
            // Saved first: an entry must never name a dictionary that a restart or another instance cannot find.
            try
            {
                await _store.SaveDictionaryAsync(new StoredDictionary(candidate.Id, bytes, createdAt), CancellationToken.None).ConfigureAwait(false);

                // A save keeps what the store already holds under the id (zstd derives ids from content, and two
                // instances may train at once): adopt only what every reader will load.
                var saved = await _store.GetDictionaryAsync(candidate.Id, CancellationToken.None).ConfigureAwait(false);
                if (saved is null || !saved.Bytes.AsSpan().SequenceEqual(bytes))
                {
                    Log.SavedDiffers(_logger, candidate.Id);
                    return "failed";
                }
            }
#pragma warning disable CA1031 // Not saved, not adopted; the next round tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _metrics.StoreError("dictionary");
                Log.SaveFailed(_logger, ex);
                return "failed";
            }
        }

        lock (_gate)
        {
            _refreshedAt = createdAt; // just saved
        }

        _dictionaries.Add(candidate);
        Log.Adopted(_logger, candidate.Id, training.Count, before, after);
        await PruneAsync().ConfigureAwait(false);
        return "adopted";
    }

    private async Task RefreshAsync(EntryDictionary active)
    {
        try
        {
            await _store!.SaveDictionaryAsync(new StoredDictionary(active.Id, active.Bytes, active.CreatedAt), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort; the next refresh tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("dictionary");
            Log.SaveFailed(_logger, ex);
        }
    }

    private async Task PruneAsync()
    {
        try
        {
            // Beyond the newest kept, and older than two retrain intervals: instances sharing the store may have
            // trained at the same moment, each using its own until they converge on the newest; a young dictionary
            // may still be another instance's.
            var stored = _store is null ? [] : await _store.LoadDictionariesAsync(CancellationToken.None).ConfigureAwait(false);
            var youngest = _time.GetUtcNow() - (2 * _options.DictionaryRetrainInterval);
            foreach (var old in stored.OrderByDescending(d => d.CreatedAt).Skip(_options.DictionariesKept).Where(d => d.CreatedAt < youngest))
            {
                await _store!.RemoveDictionaryAsync(old.Id, CancellationToken.None).ConfigureAwait(false);
                _dictionaries.Remove(old.Id);
            }
        }
#pragma warning disable CA1031 // An old dictionary left behind costs a few kilobytes; pruning retries after the next round.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.StoreError("dictionary");
            Log.SaveFailed(_logger, ex);
        }

        _dictionaries.KeepNewest(_options.DictionariesKept);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Adopted entry dictionary {Id:x8}, trained on {Samples} entries: held-out entries {Before} -> {After} bytes")]
        public static partial void Adopted(ILogger logger, uint id, int samples, long before, long after);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Kept the entry dictionary in use: a new one ({Id:x8}, {Samples} entries) shrank held-out entries only {Before} -> {After} bytes")]
        public static partial void Rejected(ILogger logger, uint id, int samples, long before, long after);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Adopted entry dictionary {Id:x8} trained by another instance sharing the store")]
        public static partial void AdoptedShared(ILogger logger, uint id);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Dictionary training round failed; the dictionary in use stays")]
        public static partial void RoundFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Could not load entry dictionaries from the store; entries that use them read as misses")]
        public static partial void LoadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Could not save or prune entry dictionaries in the store")]
        public static partial void SaveFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Stored entry dictionary {Id:x8} is not a valid zstd dictionary; ignored")]
        public static partial void InvalidStored(ILogger logger, uint id);

        [LoggerMessage(EventId = 1109, Level = LogLevel.Debug, Message = "Another instance sharing the store claimed this training round")]
        public static partial void ClaimedElsewhere(ILogger logger);

        [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "The store holds other bytes under entry dictionary id {Id:x8}; the new dictionary is not adopted")]
        public static partial void SavedDiffers(ILogger logger, uint id);
    }
}
