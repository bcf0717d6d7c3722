using System.Collections.Frozen;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GuardedAI.AspNetCore;

/// <summary>
/// Serves the dashboard from resources embedded in this assembly: the page, its script and its style. Nothing is
/// loaded from another site — the page's Content-Security-Policy forbids it — so the dashboard works offline and leaks
/// nothing about who looks at it.
/// </summary>
internal static class DashboardAssets
{
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, (string ContentType, byte[] Content)> s_assets = new Dictionary<string, (string, byte[])>
    {
        ["dashboard.js"] = ("text/javascript; charset=utf-8", Read("dashboard.js")),
        ["dashboard.css"] = ("text/css; charset=utf-8", Read("dashboard.css")),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly string s_page = Encoding.UTF8.GetString(Read("index.html"));

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", (HttpContext http) => Page(http)).ExcludeFromDescription();
        group.MapGet("/assets/{name}", (HttpContext http, string name) =>
            {
                if (!s_assets.TryGetValue(name, out var asset)) return Results.NotFound();
                Secure(http.Response);
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(asset.Content, asset.ContentType);
            })
            .ExcludeFromDescription();
    }

    private static IResult Page(HttpContext http)
    {
        // The page finds the endpoints from the path it was served at, wherever the app mounts it.
        var root = (http.Request.PathBase + http.Request.Path).Value!.TrimEnd('/');
        Secure(http.Response);
        http.Response.Headers.ContentSecurityPolicy = Policy;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        return Results.Content(s_page.Replace("{{root}}", WebUtility.HtmlEncode(root), StringComparison.Ordinal), "text/html; charset=utf-8");
    }

    private static void Secure(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("GuardedAI.AspNetCore.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard asset '{name}' is missing from the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
