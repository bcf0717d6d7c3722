using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>The fixture itself: a real PostgreSQL that needs the password over TCP.</summary>
[Collection("postgres")]
public class ServerTests(PostgresFixture fixture)
{
    [Fact]
    public async Task The_shared_server_answers_on_loopback_and_refuses_a_wrong_password()
    {
        await using (var connection = new NpgsqlConnection(fixture.Server.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_setting('server_version_num')::int, inet_server_addr()::text", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(reader.GetInt32(0) >= 150000, $"server version {reader.GetInt32(0)}");
            Assert.StartsWith("127.0.0.1", reader.GetString(1));
        }
        var wrong = new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString()) { Password = "wrong" }.ConnectionString;
        await using var refused = new NpgsqlConnection(wrong);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
        Assert.Equal("28P01", ex.SqlState); // invalid_password
    }
}
