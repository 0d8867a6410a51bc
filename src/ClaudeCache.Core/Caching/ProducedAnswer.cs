namespace ClaudeCache.Caching;

/// <summary>What a <see cref="FlightProducer"/> produced: the answer as it is stored, and the model that gave it.</summary>
/// <param name="Body">The stored form of the answer (its <see cref="Entries.ResponseKind"/> is the flight's <see cref="StoreIntent.Kind"/>).</param>
/// <param name="Model">The model that answered, or empty.</param>
/// <param name="Storable">
/// False for an answer that is not final (a background response still in progress): its callers get it, nothing is stored.
/// </param>
public readonly record struct ProducedAnswer(ReadOnlyMemory<byte> Body, string Model, bool Storable = true);
