namespace ClaudeCache.Caching;

/// <summary>
/// An append-only byte buffer that one writer fills while any number of readers follow it, each at its own
/// position. It is how one upstream response reaches every coalesced caller as the bytes arrive.
/// </summary>
/// <remarks>
/// Written bytes are never modified: growth copies into a larger array and leaves the old one intact, so a slice
/// handed to a reader stays valid after the buffer grows.
/// </remarks>
public sealed class ChunkBuffer
{
    private readonly Lock _gate = new();
    private byte[] _data;
    private int _length;
    private bool _completed;
    private Exception? _fault;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Creates a buffer with an initial capacity.</summary>
    public ChunkBuffer(int initialCapacity = 4096) => _data = new byte[Math.Max(initialCapacity, 256)];

    /// <summary>Bytes written so far.</summary>
    public int Length
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    /// <summary>True once <see cref="Complete"/> was called.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_gate)
            {
                return _completed;
            }
        }
    }

    /// <summary>Appends bytes and wakes every waiting reader.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        TaskCompletionSource toSignal;
        lock (_gate)
        {
            if (_completed)
            {
                throw new InvalidOperationException("The buffer is complete.");
            }

            if (_length + bytes.Length > _data.Length)
            {
                var grown = new byte[Math.Max(_data.Length * 2, _length + bytes.Length)];
                _data.AsSpan(0, _length).CopyTo(grown);
                _data = grown;
            }

            bytes.CopyTo(_data.AsSpan(_length));
            _length += bytes.Length;
            toSignal = _changed;
            _changed = NewSignal();
        }

        toSignal.TrySetResult();
    }

    /// <summary>Marks the end of the data; <paramref name="fault"/> tells readers the data is truncated.</summary>
    public void Complete(Exception? fault = null)
    {
        TaskCompletionSource toSignal;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _fault = fault;
            toSignal = _changed;
        }

        toSignal.TrySetResult();
    }

    /// <summary>All bytes written so far (a stable view).</summary>
    public ReadOnlyMemory<byte> WrittenMemory
    {
        get
        {
            lock (_gate)
            {
                return _data.AsMemory(0, _length);
            }
        }
    }

    /// <summary>
    /// Returns the bytes after <paramref name="position"/>, waiting until there are some or the buffer completes.
    /// An empty result with <see cref="ChunkRead.IsCompleted"/> means the end; <see cref="ChunkRead.Fault"/> is set
    /// when the writer failed.
    /// </summary>
    public async ValueTask<ChunkRead> ReadAsync(int position, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (position < _length)
                {
                    return new ChunkRead(_data.AsMemory(position, _length - position), false, null);
                }

                if (_completed)
                {
                    return new ChunkRead(ReadOnlyMemory<byte>.Empty, true, _fault);
                }

                wait = _changed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
