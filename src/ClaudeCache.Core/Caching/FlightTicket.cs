namespace ClaudeCache.Caching;

/// <summary>A caller's place in a flight: the leader started the upstream call; a follower joined it.</summary>
/// <param name="Flight">The flight to follow.</param>
/// <param name="IsLeader">True when this caller's request started the call.</param>
/// <param name="AfterAnswer">
/// True when the caller found the flight with its whole answer already in (<see cref="Flight.IsAnswered"/>): it does
/// not share the call, it waits for the flight to end and looks the answer up.
/// </param>
public readonly record struct FlightTicket(Flight Flight, bool IsLeader, bool AfterAnswer = false);
