using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GuardedAI.Samples.WebApi;

/// <summary>
/// The sample's users: <c>Authorization: Bearer &lt;key&gt;</c> with a key from the <c>Users</c> section. Each user is a
/// GuardedAI tenant (the name identifier claim), so every user has the default tenant budget of their own.
/// A real application uses its own authentication (JWT bearer, cookies, …); RequireBudget reads the user the same way.
/// </summary>
internal sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IConfiguration configuration)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return Task.FromResult(AuthenticateResult.NoResult());
        var key = header["Bearer ".Length..].Trim();
        var user = key.Length == 0 ? null : configuration.GetSection("Users")[key];
        if (user is null) return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
