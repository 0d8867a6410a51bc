using System.Collections.Immutable;

namespace ClaudeCache.Entries;

/// <summary>
/// The dictionaries one store's entries may name, and the one new entries are compressed with
/// (<see cref="Active"/>: the newest). Always holds <see cref="EntryDictionary.Shipped"/>. Thread-safe; reads are
/// lock-free, so the hit path pays one dictionary lookup.
/// </summary>
public sealed class EntryDictionarySet
{
    private readonly Lock _gate = new();
    private readonly bool _followNewest;
    private ImmutableDictionary<uint, EntryDictionary> _byId;
    private EntryDictionary _active;

    /// <summary>A set holding only the shipped dictionary.</summary>
    /// <param name="followNewest">
    /// True: the newest dictionary added compresses new entries. False: new entries always use the shipped one, and
    /// added dictionaries only decode entries that name them (a cache with training turned off).
    /// </param>
    public EntryDictionarySet(bool followNewest = true)
    {
        _followNewest = followNewest;
        _active = EntryDictionary.Shipped;
        _byId = ImmutableDictionary<uint, EntryDictionary>.Empty.Add(_active.Id, _active);
    }

    /// <summary>A set that only ever holds the shipped dictionary (what the parameterless codec methods use).</summary>
    internal static EntryDictionarySet ShippedOnly { get; } = new();

    /// <summary>The dictionary new entries are compressed with: the newest one known.</summary>
    public EntryDictionary Active => Volatile.Read(ref _active);

    /// <summary>How many dictionaries the set holds, the shipped one included.</summary>
    public int Count => Volatile.Read(ref _byId).Count;

    /// <summary>Finds a dictionary by the id stored entries name it by.</summary>
    public bool TryGet(uint id, out EntryDictionary dictionary) => Volatile.Read(ref _byId).TryGetValue(id, out dictionary!);

    /// <summary>
    /// Adds a dictionary; it becomes <see cref="Active"/> when it is newer than the current one.
    /// Adding an id already present keeps the existing dictionary.
    /// </summary>
    /// <returns>True when the dictionary was added.</returns>
    public bool Add(EntryDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        lock (_gate)
        {
            if (_byId.ContainsKey(dictionary.Id))
            {
                return false;
            }

            Volatile.Write(ref _byId, _byId.Add(dictionary.Id, dictionary));
            if (_followNewest && dictionary.CreatedAt > _active.CreatedAt)
            {
                var previous = _active;
                Volatile.Write(ref _active, dictionary);
                if (!previous.IsShipped)
                {
                    // The shipped dictionary is shared by every cache in the process; a trained one is this set's.
                    previous.ReleaseCompressors();
                }
            }

            return true;
        }
    }

    /// <summary>Removes a trained dictionary (the shipped one stays); the newest remaining one becomes active.</summary>
    public void Remove(uint id)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var dictionary) || dictionary.IsShipped)
            {
                return;
            }

            // The active one changes first: an entry is never encoded with a dictionary that is no longer held.
            var remaining = _byId.Remove(id);
            if (_active.Id == id)
            {
                Volatile.Write(ref _active, _followNewest ? remaining.Values.MaxBy(d => d.CreatedAt)! : EntryDictionary.Shipped);
            }

            Volatile.Write(ref _byId, remaining);
        }
    }

    /// <summary>Keeps the shipped dictionary and the <paramref name="count"/> newest trained ones.</summary>
    public void KeepNewest(int count)
    {
        foreach (var old in Volatile.Read(ref _byId).Values.Where(d => !d.IsShipped).OrderByDescending(d => d.CreatedAt).Skip(count).ToList())
        {
            Remove(old.Id);
        }
    }
}
