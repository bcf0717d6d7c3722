namespace GuardedAI;

/// <summary>A budget policy is invalid. The message names the policy and the offending value.</summary>
public sealed class BudgetPolicyException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public BudgetPolicyException(string policyName, string problem)
        : base($"Budget '{policyName}' is invalid: {problem}.")
    {
        PolicyName = policyName;
        Problem = problem;
    }

    /// <summary>The policy that is invalid.</summary>
    public string PolicyName { get; }

    /// <summary>What is wrong, in words.</summary>
    public string Problem { get; }
}
