using Spectre.Console;

namespace GuardedAI.Cli.Infrastructure;

/// <summary>
/// Where output goes and how it looks. On a terminal: colours, Unicode tables, bars, progress and live views. When
/// standard output is redirected, or with <c>--no-color</c> or the <c>NO_COLOR</c> variable: no ANSI escapes, no
/// animation, ASCII-safe plain text that scripts and files can take.
/// </summary>
internal sealed class Terminal
{
    private Terminal(IAnsiConsole console, bool interactive, bool color)
    {
        Console = console;
        IsInteractive = interactive;
        UsesColor = color;
    }

    /// <summary>Standard output as Spectre.Console sees it.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Whether standard output is a terminal (progress bars and live views only then).</summary>
    public bool IsInteractive { get; }

    /// <summary>Whether colours and styles are written.</summary>
    public bool UsesColor { get; }

    /// <summary>Plain text output (data formats, redirected output) goes here.</summary>
    public TextWriter Out => System.Console.Out;

    public static Terminal Create(bool noColor)
    {
        var interactive = !System.Console.IsOutputRedirected;
        var color = interactive && !noColor && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = color ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(System.Console.Out),
        });
        if (!interactive)
        {
            // A file or a pipe has no width: do not wrap tables at 80 columns.
            console.Profile.Width = 200;
        }
        if (!color) console.Profile.Capabilities.Unicode = false; // plain output is ASCII: tables and bars too
        return new Terminal(console, interactive, color);
    }
}
