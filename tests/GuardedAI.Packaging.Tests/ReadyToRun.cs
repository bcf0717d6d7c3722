using System.Collections.Immutable;
using System.Reflection.PortableExecutable;

namespace GuardedAI.Packaging.Tests;

/// <summary>What a ReadyToRun image of an assembly looks like from outside: a native header in its CLI header, and a
/// machine type that names the target's operating system as well as its processor.</summary>
internal static class ReadyToRun
{
    /// <summary>The runtime identifiers each library package carries an image for (GuardedAIReadyToRunRuntimes in
    /// src/Directory.Build.targets).</summary>
    public static readonly ImmutableArray<string> Runtimes = ["linux-x64", "linux-arm64", "linux-musl-x64", "win-x64", "osx-x64", "osx-arm64"];

    public static (bool IsReadyToRun, ushort Machine) Image(byte[] assembly)
    {
        using var reader = new PEReader(ImmutableArray.Create(assembly));
        var headers = reader.PEHeaders;
        return (headers.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, (ushort)headers.CoffHeader.Machine);
    }

    /// <summary>The machine type a ReadyToRun image for <paramref name="rid"/> carries: the processor's, XOR the
    /// operating system's mark (none for Windows), so an image for one system is never taken for another's.</summary>
    public static ushort Machine(string rid)
    {
        ushort processor = rid.EndsWith("-arm64", StringComparison.Ordinal) ? (ushort)0xAA64 : (ushort)0x8664;
        ushort system = rid switch
        {
            _ when rid.StartsWith("linux", StringComparison.Ordinal) => 0x7B79,
            _ when rid.StartsWith("osx", StringComparison.Ordinal) => 0x4644,
            _ => 0,
        };
        return (ushort)(processor ^ system);
    }
}
