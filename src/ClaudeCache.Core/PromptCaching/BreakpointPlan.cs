namespace ClaudeCache.PromptCaching;

/// <summary>
/// Where the planner puts its breakpoints: an index into <c>tools</c>, <c>system</c> and <c>messages</c>, or −1
/// for none. A message breakpoint always goes on that message's last content block.
/// </summary>
internal readonly record struct BreakpointPlan(int Tool, int System, int LastUserTurn, int LookbackUserTurn)
{
    public static BreakpointPlan None { get; } = new(-1, -1, -1, -1);

    public int Count => (Tool >= 0 ? 1 : 0) + (System >= 0 ? 1 : 0) + (LastUserTurn >= 0 ? 1 : 0) + (LookbackUserTurn >= 0 ? 1 : 0);

    public bool MarksMessage(int index) => index >= 0 && (index == LastUserTurn || index == LookbackUserTurn);
}
