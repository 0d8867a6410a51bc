namespace ClaudeCache.PromptCaching;

/// <summary>One <c>cache_control</c> breakpoint to write into a request.</summary>
/// <param name="Section">Tools, system or messages.</param>
/// <param name="Index">The tool, the system block (0 for a string system prompt), or the message.</param>
/// <param name="Block">The block within a message's content array; −1 for a string content (or for tools and system).</param>
/// <param name="OneHour">Marks it <c>"ttl":"1h"</c> instead of the default 5 minutes.</param>
internal readonly record struct BreakpointMark(PromptSection Section, int Index, int Block, bool OneHour);

/// <summary>
/// The breakpoints a planner chose, in prefix order (at most <see cref="BreakpointPlanner.MaxBreakpoints"/>), with the
/// TTLs put in Anthropic's order: once a 5-minute breakpoint appears, later ones are 5-minute too.
/// </summary>
internal sealed class BreakpointPlan
{
    private readonly List<BreakpointMark> _marks;

    public BreakpointPlan(IEnumerable<BreakpointMark> marks)
    {
        _marks = [.. marks.Distinct().OrderBy(m => m.Section).ThenBy(m => m.Index).ThenBy(m => m.Block)];
        if (_marks.Count > BreakpointPlanner.MaxBreakpoints)
        {
            throw new ArgumentException($"At most {BreakpointPlanner.MaxBreakpoints} breakpoints.", nameof(marks));
        }

        var fiveMinutesSeen = false;
        for (var i = 0; i < _marks.Count; i++)
        {
            fiveMinutesSeen |= !_marks[i].OneHour;
            if (fiveMinutesSeen && _marks[i].OneHour)
            {
                _marks[i] = _marks[i] with { OneHour = false };
            }
        }
    }

    public IReadOnlyList<BreakpointMark> Marks => _marks;

    public int Count => _marks.Count;

    /// <summary>The marks in one section, by index.</summary>
    public BreakpointMark? Find(PromptSection section, int index, int block)
    {
        foreach (var mark in _marks)
        {
            if (mark.Section == section && mark.Index == index && mark.Block == block)
            {
                return mark;
            }
        }

        return null;
    }

    /// <summary>Whether any mark falls in <paramref name="section"/> (and, for messages, in message <paramref name="index"/>).</summary>
    public bool Touches(PromptSection section, int index = -1) =>
        _marks.Exists(m => m.Section == section && (index < 0 || m.Index == index));
}
