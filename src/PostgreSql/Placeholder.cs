namespace GuardedAI.PostgreSql; internal static class Placeholder { }
