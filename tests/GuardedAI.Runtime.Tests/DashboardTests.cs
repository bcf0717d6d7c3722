using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GuardedAI.Tests;

/// <summary>The Grafana dashboard in docs/ queries only instruments GuardedAI publishes, under the names Prometheus gives them.</summary>
public partial class DashboardTests
{
    [Fact]
    public void Every_dashboard_query_names_a_published_instrument()
    {
        var published = PrometheusNames();
        var path = Path.Combine(RepositoryRoot(), "docs", "grafana", "guardedai-dashboard.json");
        using var dashboard = JsonDocument.Parse(File.ReadAllText(path));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToArray();

        Assert.True(expressions.Length >= 10);
        // Label names sit in "by (…)" and "{…}": take them out, what is left names series.
        var used = expressions.Select(e => Selectors().Replace(Grouping().Replace(e, ""), ""))
            .SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Distinct().ToArray();
        Assert.DoesNotContain(used, name => !published.Contains(name));
        // Every instrument but the ones a dashboard has no panel for is on the dashboard.
        Assert.Contains("guardedai_cost_total", used);
        Assert.Contains("gen_ai_client_token_usage_sum", used);
        Assert.Contains("gen_ai_client_operation_duration_seconds_bucket", used);
    }

    /// <summary>The instruments an engine publishes, named as the OpenTelemetry Prometheus exporter names them.</summary>
    private static HashSet<string> PrometheusNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var (engine, _, _) = TestEngine.Create();
        var meter = engine.Parts.Metrics.Meter;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter != meter) return;
                var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
                var type = instrument.GetType().GetGenericTypeDefinition();
                if (type == typeof(Counter<>)) names.Add(name + "_total");
                else if (type == typeof(Histogram<>)) { names.Add(name + "_bucket"); names.Add(name + "_sum"); names.Add(name + "_count"); }
                else if (type == typeof(Gauge<>) && instrument.Unit == "1") names.Add(name + "_ratio");
                else names.Add(name);
            },
        };
        listener.Start();
        return names;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GuardedAI.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("GuardedAI.sln not found above the test's directory.");
    }

    [GeneratedRegex(@"\b(?:gen_ai|guardedai)_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\bby \([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Selectors();
}
