using System.Runtime.InteropServices;
using System.Text.Json;
using ClaudeCache.Anthropic;

namespace ClaudeCache.Policy;

/// <summary>
/// The texts content rules look at: the system prompt's and the last user turn's, unescaped into one reusable
/// character buffer (one per thread) rather than into strings. Each text stays a separate span, as it was a separate
/// string, so a literal or a <c>\b</c> never straddles two blocks. A buffer for texts longer than the one kept (a
/// very long prompt, twice its length in bytes) comes from one large buffer shared by all threads and held only weakly:
/// such prompts one after another reuse it, whichever thread reads them, instead of each leaving one to the
/// collector, and a collection frees it (an idle proxy keeps nothing).
/// </summary>
internal sealed class RequestText
{
    // A buffer grown past this (a very long prompt) is rented, not kept for the next request.
    private const int MaxRetainedChars = 256 * 1024;

    [ThreadStatic]
    private static RequestText? t_cached;

    // The large buffer between long prompts (RentLarge, ReturnLarge); also the lock that guards it.
    private static readonly WeakReference<char[]?> s_large = new(null);

    private char[] _chars = new char[4096];

    // The buffer kept for the thread's next request while _chars is a rented one.
    private char[]? _kept;
    private Segment[] _segments = new Segment[4];
    private int _used;
    private int _count;
    private int _systemCount;

    /// <summary>Number of system prompt texts; they come first.</summary>
    public int SystemCount => _systemCount;

    /// <summary>Number of texts of the last user turn; they follow the system prompt's.</summary>
    public int LastUserTurnCount => _count - _systemCount;

    /// <summary>Text <paramref name="index"/>: the system prompt's first, then the last user turn's.</summary>
    public ReadOnlySpan<char> this[int index]
    {
        get
        {
            var segment = _segments[index];
            return _chars.AsSpan(segment.Start, segment.Length);
        }
    }

    /// <summary>
    /// The texts of <paramref name="body"/>; only the scopes asked for are read. <see cref="Return"/> it when done.
    /// </summary>
    public static RequestText Rent(JsonElement body, bool system, bool lastUserTurn)
    {
        var text = t_cached ?? new RequestText();
        t_cached = null;
        text.Fill(body, system, lastUserTurn);
        return text;
    }

    /// <summary>Gives the buffer back for the thread's next request.</summary>
    public void Return()
    {
        _used = _count = _systemCount = 0;
        if (_kept is { } kept)
        {
            ReturnLarge(_chars);
            _chars = kept;
            _kept = null;
        }

        t_cached = this;
    }

    private void Fill(JsonElement body, bool system, bool lastUserTurn)
    {
        _used = _count = _systemCount = 0;
        // Text .NET cannot read (invalid UTF-8, a lone surrogate escape) throws from every string read and from
        // TryGetProperty itself. Validation rejects such a body first; a caller that skipped it gets no texts (no
        // content rule matches) rather than an exception.
        if (body.ValueKind != JsonValueKind.Object || !JsonWellFormedness.IsWellFormed(body))
        {
            return;
        }

        if (system && body.TryGetProperty("system", out var systemPrompt))
        {
            AddTexts(systemPrompt);
        }

        _systemCount = _count;
        if (lastUserTurn && body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            // In a tool loop the newest user turns hold only tool results; the question that drives the loop is
            // the last user turn with text. Forward, because indexing a JsonElement array from the end is O(n).
            JsonElement? lastWithText = null;
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object
                    && message.TryGetProperty("role", out var role)
                    && role.ValueEquals("user")
                    && message.TryGetProperty("content", out var content)
                    && HasText(content))
                {
                    lastWithText = content;
                }
            }

            if (lastWithText is { } turn)
            {
                AddTexts(turn);
            }
        }
    }

    private static bool HasText(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return true;
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (TryGetBlockText(block, out _))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void AddTexts(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            Add(content);
            return;
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (TryGetBlockText(block, out var text))
                {
                    Add(text);
                }
            }
        }
    }

    // The string's characters, unescaped, exactly as JsonElement.GetString would give them.
    private void Add(JsonElement text)
    {
        var raw = JsonMarshal.GetRawUtf8Value(text);
        // An unescaped UTF-16 text has at most as many chars as its JSON form has bytes.
        if (_chars.Length - _used < raw.Length)
        {
            Grow(Math.Max(_chars.Length * 2, _used + raw.Length));
        }

        var reader = new Utf8JsonReader(raw);
        reader.Read();
        var length = reader.CopyString(_chars.AsSpan(_used));
        if (_count == _segments.Length)
        {
            Array.Resize(ref _segments, _segments.Length * 2);
        }

        _segments[_count++] = new Segment(_used, length);
        _used += length;
    }

    // Up to MaxRetainedChars a buffer of its own (kept); beyond, the shared large one (given back on Return).
    private void Grow(int chars)
    {
        if (chars <= MaxRetainedChars)
        {
            Array.Resize(ref _chars, chars);
            return;
        }

        var larger = RentLarge(chars);
        _chars.AsSpan(0, _used).CopyTo(larger);
        if (_kept is null)
        {
            _kept = _chars;
        }
        else
        {
            ReturnLarge(_chars);
        }

        _chars = larger;
    }

    // The large buffer when it is still alive and long enough, else a new one of exactly the length asked for.
    private static char[] RentLarge(int chars)
    {
        lock (s_large)
        {
            if (s_large.TryGetTarget(out var buffer) && buffer is not null && buffer.Length >= chars)
            {
                s_large.SetTarget(null);
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<char>(chars);
    }

    // Keeps the longer of the buffer given back and the one held (weakly), so the next long prompt may reuse it.
    private static void ReturnLarge(char[] buffer)
    {
        lock (s_large)
        {
            if (!s_large.TryGetTarget(out var held) || held is null || held.Length < buffer.Length)
            {
                s_large.SetTarget(buffer);
            }
        }
    }

    private static bool TryGetBlockText(JsonElement block, out JsonElement text)
    {
        text = default;
        return block.ValueKind == JsonValueKind.Object
            && block.TryGetProperty("type", out var type)
            && type.ValueEquals("text")
            && block.TryGetProperty("text", out text)
            && text.ValueKind == JsonValueKind.String;
    }

    private readonly record struct Segment(int Start, int Length);
}
