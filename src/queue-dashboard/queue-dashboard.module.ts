import { Module } from '@nestjs/common';
import { OperatorHttpModule } from '../operator/operator.module';

/** Who may open /admin/queues (the operator); the dashboard itself is mounted on the HTTP app by useQueueDashboard. */
@Module({
  imports: [OperatorHttpModule],
  exports: [OperatorHttpModule],
})
export class QueueDashboardHttpModule {}
