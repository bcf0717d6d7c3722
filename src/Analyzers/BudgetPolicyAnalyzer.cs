using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI002 (invalid budget) and GAI003 (cost limit for a model with no known price). Checks the effective policy —
/// the tier's defaults merged with the explicit values — with the runtime's rules, and reports on the offending named
/// argument, so a budget the runtime would refuse never gets past the build.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BudgetPolicyAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.InvalidBudget, DiagnosticDescriptors.UnknownModelPrice);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var attributeType = start.Compilation.GetTypeByMetadataName(WellKnownTypeNames.LlmBudgetAttribute);
            if (attributeType is null)
                return;
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, attributeType), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attributeType)
    {
        foreach (var attribute in context.Symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType))
                new BudgetCheck(context, attribute).Run();
        }
    }

    /// <summary>One attribute's check: collects explicit values, merges the tier, applies each rule once.</summary>
    private sealed class BudgetCheck
    {
        private readonly SymbolAnalysisContext _context;
        private readonly AttributeData _attribute;
        private readonly string _budgetName;
        private readonly Dictionary<string, double> _explicit = new(StringComparer.Ordinal);
        private readonly Dictionary<string, double> _effective = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _sources = new(StringComparer.Ordinal);
        private string _tierName = "Custom";

        public BudgetCheck(SymbolAnalysisContext context, AttributeData attribute)
        {
            _context = context;
            _attribute = attribute;
            _budgetName = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string name ? name : "?";
        }

        public void Run()
        {
            string? model = null;
            var tier = 0;
            foreach (var argument in _attribute.NamedArguments)
            {
                var value = argument.Value.Value;
                if (argument.Key == BudgetLimits.Model)
                {
                    model = value as string;
                }
                else if (argument.Key == BudgetLimits.Tier && value is int tierValue)
                {
                    if (tierValue < 0 || tierValue >= BudgetLimits.TierNames.Length)
                        Report(BudgetLimits.Tier, $"Tier ({tierValue}) is not a BudgetTier");
                    else
                        tier = tierValue;
                }
                else if (value is not null && BudgetLimits.Numeric.Contains(argument.Key))
                {
                    var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    if (double.IsNaN(number) || double.IsInfinity(number) || number <= 0)
                        Report(argument.Key, $"{argument.Key} is {Format(number)}; every limit and threshold must be a positive number");
                    else
                        _explicit[argument.Key] = number; // an invalid value takes no part in the comparisons below
                }
            }

            _tierName = BudgetLimits.TierNames[tier];
            foreach (var pair in BudgetLimits.TierDefaults(tier))
            {
                _effective[pair.Key] = pair.Value;
                _sources[pair.Key] = $" from the {_tierName} tier";
            }
            foreach (var pair in BudgetLimits.DefaultThresholds)
            {
                _effective[pair.Key] = pair.Value;
                _sources[pair.Key] = " by default";
            }
            foreach (var pair in _explicit)
            {
                _effective[pair.Key] = pair.Value;
                _sources.Remove(pair.Key);
            }

            CheckCaps();
            CheckWindows();
            CheckThresholds();
            CheckModel(model);
        }

        /// <summary>A per-request cap above a window limit of its dimension: that request would always be denied.</summary>
        private void CheckCaps()
        {
            foreach (var cap in new[] { BudgetLimits.MaxInputTokens, BudgetLimits.MaxOutputTokens })
            {
                foreach (var limit in BudgetLimits.Tokens)
                    CheckNotAbove(cap, limit, "a request that large would always be denied");
            }
            foreach (var limit in BudgetLimits.Cost)
                CheckNotAbove(BudgetLimits.MaxRequestCostUsd, limit, "a request that costly would always be denied");
        }

        /// <summary>For one dimension, a shorter window's limit above a longer window's never binds: almost always a typo.</summary>
        private void CheckWindows()
        {
            foreach (var dimension in BudgetLimits.Dimensions)
            {
                for (var shorter = 0; shorter < dimension.Length; shorter++)
                {
                    for (var longer = shorter + 1; longer < dimension.Length; longer++)
                        CheckNotAbove(dimension[shorter], dimension[longer], "a shorter window's limit must not exceed a longer window's");
                }
            }
        }

        /// <summary>0 &lt; warn &lt; critical &lt;= trip &lt;= 100, on the effective values.</summary>
        private void CheckThresholds()
        {
            var warn = _effective[BudgetLimits.WarnAtPercent];
            var critical = _effective[BudgetLimits.CriticalAtPercent];
            var trip = _effective[BudgetLimits.TripAtPercent];
            const string rule = "thresholds must satisfy 0 < warn < critical <= trip <= 100";

            if (warn >= critical)
                ReportPair(BudgetLimits.WarnAtPercent, BudgetLimits.CriticalAtPercent, $"{Describe(BudgetLimits.WarnAtPercent)} is not below {Describe(BudgetLimits.CriticalAtPercent)}; {rule}");
            if (critical > trip)
                ReportPair(BudgetLimits.CriticalAtPercent, BudgetLimits.TripAtPercent, $"{Describe(BudgetLimits.CriticalAtPercent)} is above {Describe(BudgetLimits.TripAtPercent)}; {rule}");
            if (trip > 100 && _explicit.ContainsKey(BudgetLimits.TripAtPercent))
                Report(BudgetLimits.TripAtPercent, $"{Describe(BudgetLimits.TripAtPercent)} is above 100; {rule}");
        }

        private void CheckModel(string? model)
        {
            if (model is null)
                return;
            var hasCostLimit = BudgetLimits.Cost.Any(_effective.ContainsKey) || _effective.ContainsKey(BudgetLimits.MaxRequestCostUsd);
            if (hasCostLimit && !KnownModels.IsKnown(model))
            {
                _context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.UnknownModelPrice, GetLocation(BudgetLimits.Model), _budgetName, _context.Symbol.Name, model));
            }
        }

        private void CheckNotAbove(string smaller, string larger, string why)
        {
            if (_effective.TryGetValue(smaller, out var low) && _effective.TryGetValue(larger, out var high) && low > high)
                ReportPair(smaller, larger, $"{Describe(smaller)} is above {Describe(larger)}; {why}");
        }

        /// <summary>Reports on the first property if it was written, else on the second; tier defaults are never at fault on their own.</summary>
        private void ReportPair(string first, string second, string message)
        {
            if (_explicit.ContainsKey(first))
                Report(first, message);
            else if (_explicit.ContainsKey(second))
                Report(second, message);
        }

        private string Describe(string property) =>
            $"{property} ({Format(_effective[property])}{(_sources.TryGetValue(property, out var source) ? source : string.Empty)})";

        private void Report(string property, string message) =>
            _context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.InvalidBudget, GetLocation(property), _budgetName, _context.Symbol.Name, message));

        private static string Format(double value) => value.ToString("#,0.####", CultureInfo.InvariantCulture);

        private Location GetLocation(string property)
        {
            if (_attribute.ApplicationSyntaxReference?.GetSyntax(_context.CancellationToken) is AttributeSyntax syntax)
            {
                if (syntax.ArgumentList is not null)
                {
                    foreach (var argument in syntax.ArgumentList.Arguments)
                    {
                        if (argument.NameEquals?.Name.Identifier.ValueText == property)
                            return argument.GetLocation();
                    }
                }
                return syntax.GetLocation();
            }
            return _context.Symbol.Locations.FirstOrDefault() ?? Location.None;
        }
    }
}
