using System.Text;
using Spectre.Console;

namespace GuardedAI.Cli.Output;

/// <summary>
/// A bar of a limit's usage with its thresholds marked: <c>████████░░░░░░░│░░░░│░│</c> on a terminal,
/// <c>########.......|....|.|</c> in plain output. The colour says the level reached.
/// </summary>
internal static class LimitBar
{
    public const int Width = 30;

    public static string Render(double percent, BudgetThresholds thresholds, bool unicode, bool color)
    {
        var filled = (int)Math.Round(Math.Clamp(percent, 0, 100) / 100 * Width);
        var marks = new HashSet<int>
        {
            Position(thresholds.WarnAtPercent), Position(thresholds.CriticalAtPercent), Position(thresholds.TripAtPercent),
        };
        var bar = new StringBuilder();
        for (var i = 0; i < Width; i++)
        {
            var mark = marks.Contains(i);
            bar.Append(i < filled ? (unicode ? '█' : '#') : mark ? (unicode ? '│' : '|') : (unicode ? '░' : '.'));
        }
        var text = bar.ToString();
        if (!color) return Markup.Escape("[" + text + "]");
        var style = percent >= thresholds.TripAtPercent ? "red" : percent >= thresholds.CriticalAtPercent ? "darkorange" : percent >= thresholds.WarnAtPercent ? "yellow" : "green";
        return $"[{style}]{Markup.Escape(text)}[/]";
    }

    private static int Position(double percent) => Math.Clamp((int)Math.Round(percent / 100 * Width) - 1, 0, Width - 1);
}
