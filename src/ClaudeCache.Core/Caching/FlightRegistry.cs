using System.Collections.Concurrent;
using ClaudeCache.Keys;

namespace ClaudeCache.Caching;

/// <summary>
/// The in-flight upstream calls by cache key: N concurrent identical misses make one upstream call.
/// </summary>
public sealed class FlightRegistry
{
    private readonly ConcurrentDictionary<CacheKey, Flight> _flights = new();

    /// <summary>Number of calls in flight.</summary>
    public int Count => _flights.Count;

    /// <summary>
    /// Joins the flight for <paramref name="key"/> or registers <paramref name="candidate"/> as it.
    /// Returns true when the caller is the leader and must start the call.
    /// </summary>
    public bool TryJoinOrLead(CacheKey key, Flight candidate, out Flight flight)
    {
        while (true)
        {
            if (_flights.TryGetValue(key, out var existing))
            {
                existing.AddFollower();
                flight = existing;
                return false;
            }

            if (_flights.TryAdd(key, candidate))
            {
                flight = candidate;
                return true;
            }
        }
    }

    /// <summary>Removes the flight once its answer is in the cache (or known to be uncacheable).</summary>
    public void Remove(CacheKey key, Flight flight) =>
        _flights.TryRemove(new KeyValuePair<CacheKey, Flight>(key, flight));
}
