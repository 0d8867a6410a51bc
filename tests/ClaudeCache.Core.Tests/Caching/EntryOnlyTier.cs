using System.Collections.Concurrent;
using ClaudeCache.Caching;

namespace ClaudeCache.Tests.Caching;

/// <summary>A durable second tier that cannot hold dictionaries (a user's own tier implementing only <see cref="ISecondTier"/>).</summary>
internal sealed class EntryOnlyTier : ISecondTier
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new();

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_entries.TryGetValue(key, out var payload) ? payload : null);

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> payload, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        _entries[key] = payload.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
    {
        _entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }
}
