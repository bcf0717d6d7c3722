namespace GuardedAI.Benchmarks;

/// <summary>Sizes of the benchmarks' data: full size, or tiny for the smoke run that only checks every path works.</summary>
internal static class BenchmarkScale
{
    public static bool Smoke { get; set; }

    public static int Pick(int full, int smoke) => Smoke ? smoke : full;
}
