/** Set by global-setup when no MongoDB can be had; read by describeWithMongo. */
export const MONGO_SKIP_REASON_VARIABLE = 'TEST_MONGODB_SKIP_REASON';
