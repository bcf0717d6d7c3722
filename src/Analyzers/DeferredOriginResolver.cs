using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>
/// Resolves deferred origins at compilation end: fields and properties through every write recorded for them, services
/// through every registration of their kinds. Memoised; cycles (a field assigned from itself, a registration whose
/// factory asks the container for the same service) add no new source of values.
/// </summary>
internal sealed class DeferredOriginResolver
{
    private readonly ClientMemberWrites _memberWrites;
    private readonly ServiceRegistration[] _registrations;
    private readonly string _compilationKind;
    private readonly Dictionary<ISymbol, ClientOrigin> _members = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _visitingMembers = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ServiceKinds, ClientOrigin> _services = new();
    private readonly HashSet<ServiceKinds> _visitingServices = new();

    // compilationKind: "library" or "project"; a library never sees the application's registrations.
    public DeferredOriginResolver(ClientMemberWrites memberWrites, IEnumerable<ServiceRegistration> registrations, string compilationKind)
    {
        _memberWrites = memberWrites;
        _compilationKind = compilationKind;
        _registrations = registrations
            .OrderBy(r => r.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(r => r.Location.SourceSpan.Start)
            .ToArray();
    }

    public ClientOrigin Resolve(ClientOrigin origin)
    {
        if (origin.Kind != OriginKind.Deferred)
            return origin;

        var result = ClientOrigin.Guarded;
        foreach (var member in origin.Members)
        {
            result = ClientOrigin.Both(result, ResolveMember(member));
            if (result.Kind == OriginKind.Unguarded)
                break;
        }
        foreach (var service in result.Kind == OriginKind.Unguarded ? ImmutableArray<ServiceRow>.Empty : origin.Services)
        {
            result = ClientOrigin.Both(result, ResolveService(service));
            if (result.Kind == OriginKind.Unguarded)
                break;
        }
        return origin.Via is null ? result : result.ThroughWrapper(origin.Via);
    }

    private ClientOrigin ResolveMember(ISymbol member)
    {
        if (_members.TryGetValue(member, out var known))
            return known;
        if (!_visitingMembers.Add(member))
            return ClientOrigin.Guarded; // A cycle adds no new source of values: the other writes decide.

        ClientOrigin result;
        if (!_memberWrites.TryGetWrites(member, out var writes) || writes.IsEmpty)
        {
            result = ClientOrigin.Unguarded($"comes from '{member.Name}', which is never assigned a budgeted client in this compilation");
        }
        else
        {
            result = ClientOrigin.Guarded;
            foreach (var write in writes)
            {
                var resolved = Resolve(write);
                if (resolved.Kind == OriginKind.Unguarded)
                {
                    result = ClientOrigin.Both(ClientOrigin.Unguarded($"comes from '{member.Name}', which {resolved.Reason}"), resolved);
                    break;
                }
                result = ClientOrigin.Both(result, resolved);
            }
        }

        _visitingMembers.Remove(member);
        _members[member] = result;
        return result;
    }

    /// <summary>
    /// A value from DI (or a kernel's services) is guarded only if the compilation registers at least one service of
    /// the kinds it resolves from and every such registration is budgeted.
    /// </summary>
    private ClientOrigin ResolveService(ServiceRow service)
    {
        var kinds = service.ResolvesFrom;
        if (!_services.TryGetValue(kinds, out var result))
        {
            if (!_visitingServices.Add(kinds))
                return ClientOrigin.Unguarded("is resolved from dependency injection by the registration that provides it");
            result = ResolveRegistrations(kinds);
            _visitingServices.Remove(kinds);
            _services[kinds] = result;
        }
        if (result.Kind == OriginKind.Guarded)
            return result;

        var source = service.AlwaysFromServices
            ? $"runs on the chat services registered for it"
            : "comes from dependency injection";
        return result.WithReason($"{source}, and {result.Reason}");
    }

    /// <summary>The registrations of <paramref name="kinds"/>: guarded, or unguarded with "…registration at F(12) does not …".</summary>
    private ClientOrigin ResolveRegistrations(ServiceKinds kinds)
    {
        var any = false;
        foreach (var registration in _registrations)
        {
            if ((registration.Kind & kinds) == 0)
                continue;
            any = true;
            var origin = Resolve(registration.Origin);
            if (origin.Kind != OriginKind.Guarded)
            {
                var line = registration.Location.GetLineSpan();
                var row = ClientCatalog.RowFor(registration.Kind);
                var what = registration.Connector is not null
                    ? $"({registration.Connector}) registers the provider directly, with no budget"
                    : $"does not {row?.Requirement ?? "go through UseBudget"}";
                return ClientOrigin.Unguarded(
                    $"the {row?.DisplayName ?? "client"} registration at {System.IO.Path.GetFileName(line.Path)}({line.StartLinePosition.Line + 1}) {what}");
            }
        }
        if (any)
            return ClientOrigin.Guarded;

        var names = string.Join(" or ", EntryPointCatalog.Services.Where(r => r.Registers != ServiceKinds.None && (r.Registers & kinds) != 0).Select(r => r.DisplayName));
        return ClientOrigin.Unguarded(_compilationKind == "library"
            ? $"this library registers no {names} (the application's registrations cannot be seen from here)"
            : $"no {names} is registered in this project");
    }
}
