namespace ClaudeCache.Caching;

/// <summary>A caller's place in a flight: the leader started the upstream call; a follower joined it.</summary>
/// <param name="Flight">The flight to follow.</param>
/// <param name="IsLeader">True when this caller's request started the call.</param>
public readonly record struct FlightTicket(Flight Flight, bool IsLeader);
