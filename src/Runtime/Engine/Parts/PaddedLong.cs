using System.Runtime.InteropServices;

namespace GuardedAI.Engine;

/// <summary>
/// A number every caller writes, alone on its cache line: as a field of an object whose other fields every caller
/// reads, it would make each of those reads miss after another core's write. 128 bytes with the value in the middle,
/// so that neither the fields before nor those after share its line (nor the adjacent line a processor fetches in pairs).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedLong
{
    [FieldOffset(64)] public long Value;
}
