namespace ClaudeCache.Costs;

/// <summary>
/// Requests the proxy refused as overloaded (503 <c>overloaded_error</c>) since it started, by the bound they met,
/// and the request body bytes it holds now (docs/reliability.md).
/// </summary>
/// <param name="RefusedConcurrency">Refused at <c>MaxConcurrentRequests</c>.</param>
/// <param name="RefusedBodyBytes">Refused at <c>MaxInFlightRequestBodyBytes</c>.</param>
/// <param name="InFlightBodyBytes">Request body bytes reserved by the requests being handled.</param>
public sealed record OverloadFigures(long RefusedConcurrency, long RefusedBodyBytes, long InFlightBodyBytes);
