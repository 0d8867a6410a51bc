using ClaudeCache.Caching;

namespace ClaudeCache.Tests.Caching;

/// <summary>
/// One instance's view of a shared <see cref="MemoryStore"/>, with hooks that order two instances' training rounds:
/// once armed, its next dictionary load waits for the other instance's; saves wait for <see cref="SaveGate"/>.
/// </summary>
internal sealed class GatedStore(MemoryStore inner, Rendezvous roundStart) : ISecondTier, IDictionaryStore
{
    private readonly TaskCompletionSource _loadedWhileArmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _armed;

    public Task SaveGate { get; set; } = Task.CompletedTask;

    /// <summary>Completes once the armed load has read the store.</summary>
    public Task LoadedWhileArmed => _loadedWhileArmed.Task;

    public void Arm() => _armed = true;

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        inner.SetAsync(key, payload, expiresAt, cancellationToken);

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken) => inner.RemoveAsync(key, cancellationToken);

    public async ValueTask<IReadOnlyList<StoredDictionary>> LoadDictionariesAsync(CancellationToken cancellationToken)
    {
        if (!_armed)
        {
            return await inner.LoadDictionariesAsync(cancellationToken);
        }

        _armed = false;
        await roundStart.ArriveAsync();
        var stored = await inner.LoadDictionariesAsync(cancellationToken);
        _loadedWhileArmed.TrySetResult();
        return stored;
    }

    public ValueTask<StoredDictionary?> GetDictionaryAsync(uint id, CancellationToken cancellationToken) => inner.GetDictionaryAsync(id, cancellationToken);

    public async ValueTask SaveDictionaryAsync(StoredDictionary dictionary, CancellationToken cancellationToken)
    {
        await SaveGate;
        await inner.SaveDictionaryAsync(dictionary, cancellationToken);
    }

    public ValueTask RemoveDictionaryAsync(uint id, CancellationToken cancellationToken) => inner.RemoveDictionaryAsync(id, cancellationToken);

    public ValueTask<bool> TryClaimTrainingAsync(string owner, TimeSpan lease, CancellationToken cancellationToken) =>
        inner.TryClaimTrainingAsync(owner, lease, cancellationToken);
}
