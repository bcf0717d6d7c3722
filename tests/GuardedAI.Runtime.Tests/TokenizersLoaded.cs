using System.Runtime.CompilerServices;

namespace GuardedAI.Tests;

/// <summary>
/// Vocabularies load in the background and counts are an upper bound until they are loaded. Most tests compare exact
/// counts, so this assembly waits for the vocabularies once, before any test runs; the tests of the upper bound build
/// counters over a vocabulary that never loads (<see cref="ColdStartCountingTests"/>).
/// </summary>
internal static class TokenizersLoaded
{
    [ModuleInitializer]
    internal static void Load() => TokenCounterRegistry.LoadAsync().GetAwaiter().GetResult();
}
