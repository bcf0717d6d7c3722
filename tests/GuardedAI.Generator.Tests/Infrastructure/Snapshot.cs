using System.Runtime.CompilerServices;
using System.Text;

namespace GuardedAI.Generator.Tests.Infrastructure;

/// <summary>
/// Compares text with a committed snapshot file line by line. Set <c>GUARDEDAI_UPDATE_SNAPSHOTS=1</c> to
/// (re)write the snapshot files from the actual output instead of comparing.
/// </summary>
internal static class Snapshot
{
    public const string UpdateVariable = "GUARDEDAI_UPDATE_SNAPSHOTS";

    public static void Match(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        string directory = Path.Combine(FindProjectDirectory(callerPath), "Snapshots");
        string path = Path.Combine(directory, name + ".g.cs.txt");
        string normalized = Normalize(actual);

        if (Environment.GetEnvironmentVariable(UpdateVariable) is "1" or "true")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, normalized);
            return;
        }

        Assert.True(File.Exists(path), $"No snapshot {path}. Run the tests with {UpdateVariable}=1 to create it, then review and commit it.");
        string expected = Normalize(File.ReadAllText(path));
        string? difference = Describe(expected.Split('\n'), normalized.Split('\n'));
        Assert.True(difference is null, $"Generated source differs from snapshot {name}.g.cs.txt ({UpdateVariable}=1 rewrites it):\n{difference}");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    /// <summary>Null when equal; otherwise the first differing line with a few lines of context.</summary>
    private static string? Describe(string[] expected, string[] actual)
    {
        int length = Math.Max(expected.Length, actual.Length);
        for (int i = 0; i < length; i++)
        {
            string? e = i < expected.Length ? expected[i] : null;
            string? a = i < actual.Length ? actual[i] : null;
            if (e == a) continue;

            var message = new StringBuilder();
            message.AppendLine($"first difference at line {i + 1}:");
            for (int j = Math.Max(0, i - 3); j < i; j++) message.AppendLine($"  {j + 1,4}   {expected[j]}");
            message.AppendLine($"- {i + 1,4}   {e ?? "<end of snapshot>"}");
            message.AppendLine($"+ {i + 1,4}   {a ?? "<end of output>"}");
            for (int j = i + 1; j < Math.Min(i + 4, actual.Length); j++) message.AppendLine($"+ {j + 1,4}   {actual[j]}");
            message.AppendLine($"(snapshot has {expected.Length} lines, output has {actual.Length})");
            return message.ToString();
        }

        return null;
    }

    private static string FindProjectDirectory(string callerPath)
    {
        for (string? directory = Path.GetDirectoryName(callerPath); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "GuardedAI.Generator.Tests.csproj"))) return directory;
        }

        throw new InvalidOperationException($"Cannot find the test project above {callerPath}.");
    }
}
