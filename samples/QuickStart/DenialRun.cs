using System.Text.RegularExpressions;

namespace GuardedAI.Samples.QuickStart;

/// <summary>
/// Collapses consecutive denials that say the same thing (the same kind and reason; only the seconds to wait differ)
/// into one line with a count, so a run that starts with the breaker open prints one line, not twelve.
/// </summary>
internal sealed partial class DenialRun
{
    private string? _label;
    private string? _lastLabel;
    private BudgetExceededException? _first;
    private string? _key;
    private int _count;

    /// <summary>Adds a denial of the call <paramref name="label"/>; prints the run before it when this one differs.</summary>
    public void Add(string label, BudgetExceededException denied)
    {
        var key = $"{denied.Kind}|{RetryTime().Replace(denied.Message, "")}";
        if (key != _key) Print();
        if (_count == 0)
        {
            _label = label;
            _first = denied;
            _key = key;
        }
        _lastLabel = label;
        _count++;
    }

    /// <summary>Prints the pending run (if any) and starts afresh.</summary>
    public void Print()
    {
        if (_count == 0 || _first is null) return;
        var labels = _count == 1 ? $"{_label,-3}" : $"{_label}–{_lastLabel?.TrimStart('#')} ({_count} calls)";
        Console.WriteLine($"  {labels} DENIED ({_first.Kind}): {_first.Message}");
        Console.WriteLine($"      retry after: {(_first.RetryAfter is { } wait ? wait.ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture) : "never — change the request")}");
        _count = 0;
        _key = null;
        _first = null;
    }

    [GeneratedRegex(@"Retry after [^.]*\.")]
    private static partial Regex RetryTime();
}
